"""Compare two schemas of the shared models, as a schema registry would.

Compatibility is judged as Pydantic validates JSON (SPEC, "How the rules meet"):
`backward` = code on the new model reads data written with the old one;
`forward` = code on the old model reads data written with the new one; `full` =
both. A change is reported (ARC501-ARC507) only where it breaks a direction the
mode asks for, with the direction named in the message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from arch_lint.schema.extract import EnumSchema, FieldSchema, ModelSchema, Schema
from arch_lint.schema.types import accepts, parse

BACKWARD = "backward"
FORWARD = "forward"
FULL = "full"
MODES = (BACKWARD, FORWARD, FULL)

_OLD_READER = "readers on the old schema"
_OLD_DATA = "data written on the old schema"


@dataclass(frozen=True, slots=True)
class Change:
    code: str
    message: str
    path: str
    line: int


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

    def add(self, code: str, message: str, path: str, line: int) -> None:
        self.changes.append(Change(code, message, path, line))

    # models ------------------------------------------------------------------------------
    def run(self) -> list[Change]:
        added = [n for n in self.head.models if n not in self.base.models]
        for name, old in self.base.models.items():
            new = self.head.models.get(name)
            if new is None:
                self._model_removed(name, old, added)
            else:
                self._model(name, old, new)
        for name, old_enum in self.base.enums.items():
            new_enum = self.head.enums.get(name)
            if new_enum is None:
                self.add(
                    "ARC504",
                    f"enum `{name}` was removed; fields of the old schema still use it: "
                    "keep it beside its successor",
                    old_enum.path,
                    old_enum.line,
                )
            else:
                self._enum(name, old_enum, new_enum)
        return sorted(self.changes, key=lambda c: (c.path, c.line, c.code, c.message))

    def _model_removed(self, name: str, old: ModelSchema, added: list[str]) -> None:
        signature = _signature(old)
        twin = next(
            (a for a in added if signature and _signature(self.head.models[a]) == signature), None
        )
        renamed = f" (renamed to `{twin}`?)" if twin else ""
        self.add(
            "ARC504",
            f"model `{name}` was removed{renamed}; producers and consumers on the old schema "
            f"still use it: keep `{name.rsplit('.', 1)[-1]}` beside its successor",
            old.path,
            old.line,
        )

    def _model(self, name: str, old: ModelSchema, new: ModelSchema) -> None:
        removed = [f for f in old.fields if f not in new.fields]
        added = [f for f in new.fields if f not in old.fields]
        for r in list(removed):  # a removal and an addition of the same type: a rename
            twin = next((a for a in added if new.fields[a].type == old.fields[r].type), None)
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
                self._field(name, old, new, fname)

    def _why_key_lost(
        self,
        old: ModelSchema,
        new: ModelSchema,
        old_f: FieldSchema | None,
        new_f: FieldSchema | None,
    ) -> str | None:
        """Why a key that changes (or goes away, or comes) breaks a direction."""
        if self.fwd and old_f is not None and old_f.required:
            return f"{_OLD_READER} require it (forward)"
        if self.back and new_f is not None and new_f.required:
            return f"{_OLD_DATA} lacks it (backward)"
        if self.back and new.extra == "forbid" and old_f is not None:
            return f"the new model forbids extra keys and rejects {_OLD_DATA} (backward)"
        if self.fwd and old.extra == "forbid" and new_f is not None:
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
            )

    def _removed(self, name: str, old: ModelSchema, new: ModelSchema, r: str) -> None:
        why = self._why_key_lost(old, new, old.fields[r], None)
        if why is not None:
            self.add(
                "ARC501", f"`{name}.{r}` was removed; {why}; {_way_out(name)}", new.path, new.line
            )

    def _added(self, name: str, old: ModelSchema, new: ModelSchema, a: str) -> None:
        field = new.fields[a]
        if self.back and field.required:
            self.add(
                "ARC503",
                f"`{name}.{a}` is a new required field: {_OLD_DATA} lacks it (backward); "
                f"give it a default, or {_way_out(name)}",
                field.path,
                field.line,
            )
        elif self.fwd and old.extra == "forbid":
            self.add(
                "ARC507",
                f"`{name}.{a}` was added, but the old `{name}` forbids extra keys: "
                f"{_OLD_READER} reject the new data (forward); {_way_out(name)}",
                field.path,
                field.line,
            )

    def _field(self, name: str, old: ModelSchema, new: ModelSchema, fname: str) -> None:
        old_f, new_f = old.fields[fname], new.fields[fname]
        if (old_f.read_key, old_f.write_key) != (new_f.read_key, new_f.write_key):
            self._key_changed(name, old, new, fname)
        if old_f.type != new_f.type:
            self._type_changed(name, fname, old_f, new_f)
        if self.back and not old_f.required and new_f.required:
            self.add(
                "ARC503",
                f"`{name}.{fname}` was made required: {_OLD_DATA} may lack it (backward); "
                f"keep a default, or {_way_out(name)}",
                new_f.path,
                new_f.line,
            )

    def _key_changed(self, name: str, old: ModelSchema, new: ModelSchema, fname: str) -> None:
        old_f, new_f = old.fields[fname], new.fields[fname]
        old_read, old_write = old_f.read_key or fname, old_f.write_key or fname
        new_read, new_write = new_f.read_key or fname, new_f.write_key or fname
        why = None
        if self.fwd and old_read != new_write and (old_f.required or old.extra == "forbid"):
            why = f"{_OLD_READER} look for `{old_read}` (forward)"
        elif self.back and new_read != old_write and (new_f.required or new.extra == "forbid"):
            why = f"the new model looks for `{new_read}` in {_OLD_DATA} (backward)"
        if why is not None:
            self.add(
                "ARC501",
                f"`{name}.{fname}` changed its JSON key from `{old_write}` to `{new_write}`; "
                f"{why}; {_way_out(name)}",
                new_f.path,
                new_f.line,
            )

    def _type_changed(self, name: str, fname: str, old_f: FieldSchema, new_f: FieldSchema) -> None:
        old_t, new_t = parse(old_f.type), parse(new_f.type)
        if old_t == new_t:
            return
        back_ok = accepts(new_t, old_t) is True
        fwd_ok = accepts(old_t, new_t) is True
        if self.back and not back_ok:
            why = f"{_OLD_DATA} may not validate (backward)"
        elif self.fwd and not fwd_ok:
            why = f"{_OLD_READER} may reject the new values (forward)"
        else:
            return
        kind = "widened" if back_ok else "narrowed" if fwd_ok else "changed"
        self.add(
            "ARC502",
            f"`{name}.{fname}` {kind} its type from `{old_f.type}` to `{new_f.type}`: "
            f"{why}; {_way_out(name)}",
            new_f.path,
            new_f.line,
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
                )
        for value, member in new_values.items():
            if self.fwd and value not in old_values and member not in changed:
                self.add(
                    "ARC506",
                    f"`{name}.{member}` ({_shown(value)}) was added: {_OLD_READER} reject it "
                    f"(forward); use it only in a new version of the models that carry `{name}`",
                    new.path,
                    new.line,
                )


def _shown(value: str) -> str:
    return "auto()" if value.startswith("auto:") else f"value {value}"


def _signature(model: ModelSchema) -> frozenset[tuple[str, str]]:
    return frozenset((n, f.type) for n, f in model.fields.items())


def diff(base: Schema, head: Schema, mode: str) -> list[Change]:
    """The breaking changes from `base` to `head` under compatibility `mode`."""
    if mode not in MODES:
        raise ValueError(f"compatibility must be one of {', '.join(MODES)}")
    return _Diff(base, head, mode).run()
