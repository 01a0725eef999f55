"""Compare two schemas of the shared models, as a schema registry would.

Compatibility is judged as Pydantic validates JSON (SPEC, "How the rules meet"):
`backward` = code on the new model reads data written with the old one;
`forward` = code on the old model reads data written with the new one; `full` =
both. A change is reported (ARC501-ARC507) only where it breaks a direction the
mode asks for, with the direction named in the message.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from typing import TypeVar

from arch_lint.schema.extract import EnumSchema, FieldSchema, ModelSchema, Schema
from arch_lint.schema.types import LITERAL, NAME, Type, accepts, parse

T = TypeVar("T", ModelSchema, EnumSchema)

BACKWARD = "backward"
FORWARD = "forward"
FULL = "full"
MODES = (BACKWARD, FORWARD, FULL)

_OLD_READER = "readers on the old schema"
_OLD_DATA = "data written on the old schema"
_OLD_OUTPUT = "readers of the old output"


@dataclass(frozen=True, slots=True)
class Change:
    code: str
    message: str
    path: str
    line: int
    key: str = ""
    """What changed (a field's name): one finding per code, place and thing."""


def next_version(name: str) -> str:
    """`OrderPlacedV1` -> `OrderPlacedV2`; `OrderPlaced` -> `OrderPlacedV2`."""
    match = re.fullmatch(r"(.*?V)(\d+)", name)
    if match:
        return f"{match.group(1)}{int(match.group(2)) + 1}"
    return f"{name}V2"


def _way_out(model: str) -> str:
    short = model.rsplit(".", 1)[-1]
    return f"add `{next_version(short)}` and keep `{short}`"


class _Diff:
    def __init__(self, base: Schema, head: Schema, mode: str) -> None:
        self.base, self.head = base, head
        self.back = mode in (BACKWARD, FULL)
        self.fwd = mode in (FORWARD, FULL)
        self.changes: list[Change] = []
        self.renames: dict[str, str] = {}
        """Bare base name -> bare head name of a model or enum an alias keeps
        (`ShipmentEvent` -> `ShipmentEventV1`): a field typed with the old name
        and one typed with the new name have the same type."""

    def add(self, code: str, message: str, path: str, line: int, key: str = "") -> None:
        self.changes.append(Change(code, message, path, line, key))

    # models ------------------------------------------------------------------------------
    def run(self) -> list[Change]:
        pairs, removed, added = _match(self.base.models, self.head.models)
        enum_pairs, enums_removed, _ = _match(self.base.enums, self.head.enums)
        kept = self._kept(removed, self.head.models) + self._kept(enums_removed, self.head.enums)
        for old_name, new_name in kept:
            self.renames[_bare(old_name)] = _bare(new_name)
        for name in removed:  # renamed with the same shape: a field typed with it is unchanged
            twin = self._twin(name, added)
            if twin is not None and _shape(self.base.models[name]) == _shape(
                self.head.models[twin]
            ):
                self.renames.setdefault(_bare(name), _bare(twin))
        for old_name, new_name in pairs:
            self._model(_bare(new_name), self.base.models[old_name], self.head.models[new_name])
        for old_name, new_name in kept:
            if old_name in self.base.models:
                old_model, new_model = self.base.models[old_name], self.head.models[new_name]
                self._model(_bare(old_name), old_model, new_model)
            else:
                self._enum(old_name, self.base.enums[old_name], self.head.enums[new_name])
        for name in removed:
            self._model_removed(name, self.base.models[name], added)
        for old_name, new_name in enum_pairs:
            self._enum(new_name, self.base.enums[old_name], self.head.enums[new_name])
        for name in enums_removed:
            old_enum = self.base.enums[name]
            self.add(
                "ARC504",
                f"enum `{name}` was removed; fields of the old schema still use it: "
                "keep it beside its successor",
                old_enum.path,
                old_enum.line,
                key=name,
            )
        self._old_aliases(pairs + enum_pairs)
        unique: dict[tuple[str, str, int, str], Change] = {}
        for change in self.changes:  # a base class's field changes once, not per subclass
            unique.setdefault((change.code, change.path, change.line, change.key), change)
        return sorted(unique.values(), key=lambda c: (c.path, c.line, c.code, c.message))

    def _kept(self, removed: list[str], head: dict[str, T]) -> list[tuple[str, str]]:
        """The removed names that a module-level alias of the head keeps, paired
        with the alias's target (taken out of `removed`)."""
        out: list[tuple[str, str]] = []
        for name in list(removed):
            alias = self.head.aliases.get(_bare(name))
            if alias is not None and alias.target in head:
                removed.remove(name)
                out.append((name, alias.target))
        return out

    def _old_aliases(self, pairs: list[tuple[str, str]]) -> None:
        """The aliases of the base: gone (code that imports the name breaks), or
        now meaning another model or enum (compared with the one it meant)."""
        partner = dict(pairs)
        for name, alias in sorted(self.base.aliases.items()):
            now = self.head.resolve(name)
            if now is None:
                self.add(
                    "ARC504",
                    f"`{name}` (an alias of `{alias.target}`) was removed; code on the old "
                    f"schema imports it by that name: keep `{name} = {_bare(alias.target)}`",
                    alias.path,
                    alias.line,
                    key=name,
                )
            elif partner.get(alias.target) != now:
                self.renames[_bare(alias.target)] = _bare(now)
                if alias.target in self.base.models and now in self.head.models:
                    self._model(name, self.base.models[alias.target], self.head.models[now])
                elif alias.target in self.base.enums and now in self.head.enums:
                    self._enum(name, self.base.enums[alias.target], self.head.enums[now])

    def _twin(self, name: str, added: list[str]) -> str | None:
        """The added model with exactly the removed one's fields, if one is."""
        signature = _signature(self.base.models[name])
        return next(
            (a for a in added if signature and _signature(self.head.models[a]) == signature), None
        )

    def _model_removed(self, name: str, old: ModelSchema, added: list[str]) -> None:
        twin = self._twin(name, added)
        short = _bare(name)
        if twin is not None and _bare(twin) == short:  # a namesake elsewhere: it moved
            renamed, alias = f" (moved to `{twin}`?)", ""
        else:
            renamed = f" (renamed to `{twin}`?)" if twin else ""
            alias = f" (`{short} = {_bare(twin)}`)" if twin else ""
        self.add(
            "ARC504",
            f"model `{name}` was removed{renamed}; producers and consumers on the old schema "
            f"still use it: keep the old name beside its successor{alias}",
            old.path,
            old.line,
        )

    def _model(self, name: str, old: ModelSchema, new: ModelSchema) -> None:
        removed = [f for f in old.fields if f not in new.fields]
        added = [f for f in new.fields if f not in old.fields]
        for r in list(removed):  # a new Python name for the same JSON key: the same field
            twin = next((a for a in added if _same_key(old, r, new, a)), None)
            if twin is not None:
                removed.remove(r)
                added.remove(twin)
                self._field(name, old, new, r, twin)
        for r in list(removed):  # a removal and an addition of the same type: a rename
            twin = next((a for a in added if _like(old.fields[r], new.fields[a])), None)
            if twin is not None:
                removed.remove(r)
                added.remove(twin)
                self._renamed(name, old, new, r, twin)
        for r in removed:
            self._removed(name, old, new, r)
        for a in added:
            self._added(name, old, new, a)
        for fname in old.fields:
            if fname in new.fields:
                self._field(name, old, new, fname, fname)

    def _why_key_lost(
        self,
        old: ModelSchema,
        new: ModelSchema,
        old_f: FieldSchema | None,
        new_f: FieldSchema | None,
    ) -> str | None:
        """Why a key that changes (or goes away, or comes) breaks a direction."""
        if self.fwd and old_f is not None and old_f.computed:
            return f"it is written output (a computed field) that {_OLD_OUTPUT} expect (forward)"
        if self.fwd and old_f is not None and old_f.required and old_f.written:
            return f"{_OLD_READER} require it (forward)"
        if self.back and new_f is not None and new_f.read and new_f.required:
            return f"{_OLD_DATA} lacks it (backward)"
        if self.back and new.extra == "forbid" and old_f is not None and _carried(old, old_f):
            return f"the new model forbids extra keys and rejects {_OLD_DATA} (backward)"
        if self.fwd and old.extra == "forbid" and new_f is not None and new_f.written:
            return f"{_OLD_READER} forbid extra keys and reject the new data (forward)"
        return None

    def _renamed(self, name: str, old: ModelSchema, new: ModelSchema, r: str, a: str) -> None:
        why = self._why_key_lost(old, new, old.fields[r], new.fields[a])
        if why is not None:
            field = new.fields[a]
            self.add(
                "ARC501",
                f"`{name}.{r}` was renamed to `{a}` (likely: a removal and an addition of "
                f"the same type); {why}; {_way_out(name)}",
                field.path,
                field.line,
                key=a,
            )

    def _removed(self, name: str, old: ModelSchema, new: ModelSchema, r: str) -> None:
        why = self._why_key_lost(old, new, old.fields[r], None)
        if why is not None:
            self.add(
                "ARC501",
                f"`{name}.{r}` was removed; {why}; {_way_out(name)}",
                new.path,
                new.line,
                key=r,
            )

    def _added(self, name: str, old: ModelSchema, new: ModelSchema, a: str) -> None:
        field = new.fields[a]
        if self.back and field.read and field.required:
            self.add(
                "ARC503",
                f"`{name}.{a}` is a new required field: {_OLD_DATA} lacks it (backward); "
                f"give it a default, or {_way_out(name)}",
                field.path,
                field.line,
                key=a,
            )
        if self.fwd and old.extra == "forbid" and field.written:
            what = "a computed field" if field.computed else "a field"
            self.add(
                "ARC507",
                f"`{name}.{a}` was added ({what}: it is written output), but the old `{name}` "
                f"forbids extra keys: {_OLD_READER} reject the new data (forward); "
                f"{_way_out(name)}",
                field.path,
                field.line,
                key=a,
            )

    def _field(self, name: str, old: ModelSchema, new: ModelSchema, was: str, now: str) -> None:
        old_f, new_f = old.fields[was], new.fields[now]
        self._key_changed(name, old, new, was, now)
        if old_f.type != new_f.type:
            self._type_changed(name, now, old_f, new_f)
        if (
            self.back
            and new_f.read
            and new_f.required
            and not old_f.required
            and not old_f.computed  # always written: old data has it
        ):
            self.add(
                "ARC503",
                f"`{name}.{now}` was made required: {_OLD_DATA} may lack it (backward); "
                f"keep a default, or {_way_out(name)}",
                new_f.path,
                new_f.line,
                key=now,
            )

    def _key_changed(
        self, name: str, old: ModelSchema, new: ModelSchema, was: str, now: str
    ) -> None:
        """A field whose keys changed (its alias, the model's `alias_generator`) or
        that stopped being written (`exclude=True`) or read (`@computed_field`).
        A field that only starts or stops being read is judged by whether it is
        required (ARC503); an unchanged field whose written key is not among its
        read keys is no change."""
        old_f, new_f = old.fields[was], new.fields[now]
        if not (old_f.keys_known(was) and new_f.keys_known(now)):
            return  # an `AliasPath`, a computed alias or an unknown generator
        old_read, old_write = old_f.reads(was), old_f.writes(was)
        new_read, new_write = new_f.reads(now), new_f.writes(now)
        gone = not new_f.written or (new_write != old_write and new_write not in old_read)
        if self.fwd and old_f.computed and (not new_f.written or new_write != old_write):
            readers = f"{_OLD_OUTPUT} look for `{old_write}`"
            message = _not_written(name, now, new_f, old_write, new_write, readers)
            self.add("ARC501", message, new_f.path, new_f.line, key=now)
            return
        if (
            self.fwd
            and old_f.read
            and old_f.written
            and gone
            and (old_f.required or (new_f.written and old.extra == "forbid"))
        ):
            readers = f"{_OLD_READER} look for {_keys(old_read)}"
            message = _not_written(name, now, new_f, old_write, new_write, readers)
            self.add("ARC501", message, new_f.path, new_f.line, key=now)
            return
        if not self.back or not old_f.written:
            return
        strict = new.extra == "forbid" and _carried(old, old_f)
        if not new_f.read:
            if strict and not old_f.computed:
                self.add(
                    "ARC501",
                    f"`{name}.{now}` is no longer read (it is a computed field now), and the "
                    f"new model forbids extra keys: it rejects {_OLD_DATA}, which has "
                    f"`{old_write}` (backward); {_way_out(name)}",
                    new_f.path,
                    new_f.line,
                    key=now,
                )
            return
        changed = new_read != old_read or old_f.computed
        if changed and old_write not in new_read and (new_f.required or strict):
            self.add(
                "ARC501",
                f"`{name}.{now}` is read from {_keys(new_read)} instead of {_keys(old_read)}; "
                f"{_OLD_DATA} has `{old_write}` (backward); keep `{old_write}` in an "
                f"`AliasChoices`, or {_way_out(name)}",
                new_f.path,
                new_f.line,
                key=now,
            )

    def _type_changed(self, name: str, fname: str, old_f: FieldSchema, new_f: FieldSchema) -> None:
        old_t, new_t = _renamed_type(parse(old_f.type), self.renames), parse(new_f.type)
        if old_t == new_t:
            return
        # an enum is, in JSON, the set of its values: `Color` -> `str` reads old data
        old_t, new_t = _valued(old_t, self.base.enums), _valued(new_t, self.head.enums)
        back_ok = accepts(new_t, old_t) is True
        fwd_ok = accepts(old_t, new_t) is True
        # new readers read old values only where the new model reads the field and
        # the old one wrote it; old readers (and readers of a computed field's
        # output) read new values only where the new model writes it
        if self.back and not back_ok and new_f.read and old_f.written:
            why = f"{_OLD_DATA} may not validate (backward)"
        elif self.fwd and not fwd_ok and new_f.written:
            readers = _OLD_OUTPUT if old_f.computed else _OLD_READER
            why = f"{readers} may reject the new values (forward)"
        else:
            return
        kind = "widened" if back_ok else "narrowed" if fwd_ok else "changed"
        self.add(
            "ARC502",
            f"`{name}.{fname}` {kind} its type from `{old_f.type}` to `{new_f.type}`: "
            f"{why}; {_way_out(name)}",
            new_f.path,
            new_f.line,
            key=fname,
        )

    # enums -------------------------------------------------------------------------------
    def _enum(self, name: str, old: EnumSchema, new: EnumSchema) -> None:
        changed = {
            member
            for member, value in old.members.items()
            if member in new.members
            and new.members[member] != value
            and "auto()" not in (value, new.members[member])
        }
        for member in sorted(changed):
            self.add(
                "ARC505",
                f"`{name}.{member}` changed its value from {old.members[member]} to "
                f"{new.members[member]}: readers on either schema reject the other's value; "
                "add a member instead",
                new.path,
                new.line,
                key=member,
            )
        old_values, new_values = old.values(), new.values()
        for value, member in old_values.items():
            if self.back and value not in new_values and member not in changed:
                self.add(
                    "ARC505",
                    f"`{name}.{member}` ({_shown(value)}) was removed: {_OLD_DATA} may hold it "
                    "and no longer validates (backward); keep the member",
                    new.path,
                    new.line,
                    key=member,
                )
        for value, member in new_values.items():
            if self.fwd and value not in old_values and member not in changed:
                self.add(
                    "ARC506",
                    f"`{name}.{member}` ({_shown(value)}) was added: {_OLD_READER} reject it "
                    f"(forward); use it only in a new version of the models that carry `{name}`",
                    new.path,
                    new.line,
                    key=member,
                )


def _valued(t: Type, enums: dict[str, EnumSchema]) -> Type:
    """The type with each enum of the schema (whose values are all known) written
    as the `Literal` of its values."""
    if t.kind == NAME:
        enum = enums.get(t.name)
        if enum is None or not enum.members or "auto()" in enum.members.values():
            return t
        if not all(_is_literal(v) for v in enum.members.values()):
            return t
        return Type(LITERAL, values=tuple(sorted(set(enum.members.values()))))
    if t.args:
        return replace(t, args=tuple(_valued(a, enums) for a in t.args))
    return t


def _is_literal(value: str) -> bool:
    try:
        ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return False
    return True


def _not_written(
    name: str, now: str, new_f: FieldSchema, old_write: str, new_write: str, readers: str
) -> str:
    if new_f.written:
        return (
            f"`{name}.{now}` is written as `{new_write}` instead of `{old_write}`; "
            f"{readers} (forward); {_way_out(name)}"
        )
    return (
        f"`{name}.{now}` is no longer written (`exclude=True`); {readers} (forward); "
        f"{_way_out(name)}"
    )


def _bare(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _carried(old: ModelSchema, field: FieldSchema) -> bool:
    """Whether data written on the old schema carries the field's key and the
    old model read that data back (a computed field under `extra="forbid"` never
    did: Pydantic rejects its key on input)."""
    return field.written and not (field.computed and old.extra == "forbid")


def _like(old: FieldSchema, new: FieldSchema) -> bool:
    """A removed and an added field that look like one field renamed: the same
    type, and both read and written alike."""
    return (old.type, old.computed, old.exclude) == (new.type, new.computed, new.exclude)


def _renamed_type(t: Type, renames: dict[str, str]) -> Type:
    """The type with the models and enums an alias keeps written by their new name."""
    if not renames:
        return t
    if t.kind == NAME and t.name in renames:
        return replace(t, name=renames[t.name])
    if t.args:
        return replace(t, args=tuple(_renamed_type(a, renames) for a in t.args))
    return t


def _keys(keys: set[str]) -> str:
    return " or ".join(f"`{k}`" for k in sorted(keys))


def _same_key(old: ModelSchema, was: str, new: ModelSchema, now: str) -> bool:
    """One field under a new Python name: one side reads the key the other writes,
    or both write the same key (the key changes themselves are judged per
    direction afterwards). Unknown keys (`?`) match nothing."""
    old_f, new_f = old.fields[was], new.fields[now]
    old_write, new_write = old_f.writes(was), new_f.writes(now)
    old_read, new_read = old_f.reads(was) - {"?"}, new_f.reads(now) - {"?"}
    if new_f.written and old_f.read and new_write in old_read:
        return True
    if old_f.written and new_f.read and old_write in new_read:
        return True
    return old_f.written and new_f.written and old_write == new_write != "?"


def _match(
    base: dict[str, T], head: dict[str, T]
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """Pairs of (base, head) names of the same model, then the removed and the
    added ones. Names are the class names; a name two modules share is qualified
    by its module, so a name that gains or loses its qualification (a namesake
    added or removed elsewhere) is matched by module, then by the bare name."""
    pairs = [(name, name) for name in base if name in head]
    left = [n for n in base if n not in head]
    right = [n for n in head if n not in base]

    def bare(name: str) -> str:
        return name.rsplit(".", 1)[-1]

    for name in list(left):
        module = getattr(base[name], "module", "")
        same = [n for n in right if bare(n) == bare(name)]
        exact = [n for n in same if getattr(head[n], "module", "") == module]
        choice = exact if len(exact) == 1 else same if len(same) == 1 else []
        if choice:
            pairs.append((name, choice[0]))
            left.remove(name)
            right.remove(choice[0])
    return pairs, left, right


def _shown(value: str) -> str:
    return "auto()" if value.startswith("auto:") else f"value {value}"


def _shape(model: ModelSchema) -> tuple[str, frozenset[tuple[object, ...]]]:
    """What JSON a model reads and writes: its extra policy and every field's type,
    keys and kind (not where they are written)."""
    return model.extra, frozenset(
        (n, f.type, f.required, f.read_keys, f.write_key, f.computed, f.exclude)
        for n, f in model.fields.items()
    )


def _signature(model: ModelSchema) -> frozenset[tuple[str, str]]:
    return frozenset((n, f.type) for n, f in model.fields.items())


def diff(base: Schema, head: Schema, mode: str) -> list[Change]:
    """The breaking changes from `base` to `head` under compatibility `mode`."""
    if mode not in MODES:
        raise ValueError(f"compatibility must be one of {', '.join(MODES)}")
    return _Diff(base, head, mode).run()
