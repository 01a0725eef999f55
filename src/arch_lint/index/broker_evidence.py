"""Whether a call reaches a message broker, across files (ARC206's evidence).

A file's broker facts (`brokers.BrokerFacts`) say what its module-level names
hold, what its functions return and which calls its functions and methods
make that may send; here a `Ref` is followed through imports and re-exports
(the module graph) to the file that defines what it names, and a method
through the calls it makes, to a broker client's own sending method
(`brokers.SENDING_METHODS`). A class that only calls handlers of its own (an
in-process event bus), or whose method is not defined anywhere the project
shows, reaches nothing. A name bound at module level by a call and not read
by the broker facts (a file without a sending call) is followed through the
module-level calls of the file's facts (`publisher = EventPublisher()`).

Whether a call sends nothing is asked too (`sends`: the one answer ARC202's
evidence, ARC209 and the graph's event edges share with ARC206): the project
shows it where the receiver is a broker client whose method does not send
(`redis.set`), or a class of the project (no base outside it, no subclass in
it) whose method makes no call that may send but on what the project shows to
send nothing (an in-process event bus that calls its handlers). A call on a
receiver that no file shows (an unannotated parameter), on a class with a
base outside the project or a subclass in it (a `Protocol`, an abstract
base), or on a value of an unknown library is not known either way.

Each answer depends only on the files on the path it follows, never on the
order of the questions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from arch_lint.index.broker_messages import MessageSlot, client_slot, passed, wrapper_slot
from arch_lint.index.brokers import (
    CLIENT,
    INSTANCE,
    NAME,
    RETURNS,
    SELF,
    UNSEEN,
    BrokerFacts,
    Client,
    Entry,
    Ref,
    client_of,
)
from arch_lint.index.facts import DEF, FileFacts
from arch_lint.index.model_index import ClassRef, ModelIndex

_MAX_DEPTH = 8
_EMPTY = BrokerFacts()
_NO_BASES = frozenset({"object", "Generic"})
"""Bases that bring no methods (`class Bus(Generic[T])`)."""

# what a `Ref` is, followed
_CLASS = "class"
_FUNCTION = "function"
_MODULE = "module"
Thing = tuple[str, str, str]
"""(`client`, text, "") | (`class`, file, qualname) | (`function`, file, name) |
(`module`, file, "")."""


@dataclass(frozen=True, slots=True)
class Reach:
    """How a call reaches a broker: the client, the receiver as written where
    it sends, the file it sends in, and the project functions or methods on
    the way (the first is the one called)."""

    client: Client
    receiver: str
    path: str
    chain: tuple[str, ...] = ()
    message: MessageSlot | None = None
    """Where the callable called takes its message: a client's method's slot,
    or the parameters of the first function or method of `chain` that flow
    into the message of the calls it makes that reach a broker (None: not
    known, any argument may be)."""

    def describe(self, call: str, receiver: str, here: str = "") -> str:
        """The evidence in words, for a call (as written) made on `receiver`:
        "on the Kafka producer `p` (aiokafka.AIOKafkaProducer)", or "through
        `pub.publish` (`EventPublisher.publish`), which reaches ... in `file`"
        (the file left out when it is `here`, the caller's)."""
        sent = self.client.describe(self.receiver or receiver)
        if not self.chain:
            return f"on {sent}"
        first = self.chain[0]
        named = "" if first == call or call.endswith(f".{first}") else f" (`{first}`)"
        where = f" in `{self.path}`" if self.path != here else ""
        return f"through `{call}`{named}, which reaches {sent}{where}"


class BrokerEvidence:
    """The project's evidence about calls that send on a message broker."""

    def __init__(self, facts: Mapping[str, FileFacts], models: ModelIndex) -> None:
        self.facts = facts
        self.models = models
        self.modules = models.modules
        self._memo: dict[tuple[str, Ref, str], Reach | None] = {}
        self._silent_memo: dict[tuple[str, Ref, str], bool] = {}

    def _brokers(self, path: str) -> BrokerFacts:
        facts = self.facts.get(path)
        found = facts.brokers if facts is not None else None
        return found if found is not None else _EMPTY

    # the answer ------------------------------------------------------------------------
    def reach(self, path: str, ref: Ref, method: str) -> Reach | None:
        """How calling `method` on what `ref` names in file `path` (`""`: calling
        it) reaches a broker client's sending method, or None where the project
        does not show it to."""
        key = (path, ref, method)
        if key not in self._memo:
            self._memo[key] = self._reach(path, ref, method, frozenset())
        return self._memo[key]

    def _reach(
        self, path: str, ref: Ref, method: str, guard: frozenset[tuple[str, str, str]]
    ) -> Reach | None:
        if len(guard) > _MAX_DEPTH:
            return None
        thing = self.thing(path, ref)
        if thing is None:
            return None
        kind, where, name = thing
        if kind == CLIENT:
            client = Client.parse(where)
            if not client.sends_with(method):
                return None
            return Reach(client, "", path, message=client_slot(client.broker, method))
        if kind == _MODULE:
            if not method:
                return None
            return self._reach(where, (NAME, method), "", guard)
        if kind == _FUNCTION:
            if method:
                return None
            return self._through(where, name, guard)
        # a class: its method, or an inherited one
        for owner, qualname in self._lineage(where, name):
            entries = self._brokers(owner).sends.get(f"{qualname}.{method}")
            if entries is not None:
                return self._through(owner, f"{qualname}.{method}", guard)
        return None

    def sends(self, path: str, ref: Ref, method: str) -> bool | None:
        """Whether calling `method` on what `ref` names in file `path` sends on
        a message broker: True where it reaches one (`reach`), False where the
        project shows it sends nothing (a broker client's other method, an
        in-process event bus), None where that is not known."""
        if self.reach(path, ref, method) is not None:
            return True
        key = (path, ref, method)
        if key not in self._silent_memo:
            self._silent_memo[key] = self._silent(path, ref, method, frozenset())
        return False if self._silent_memo[key] else None

    def _silent(
        self, path: str, ref: Ref, method: str, guard: frozenset[tuple[str, str, str]]
    ) -> bool:
        """Whether the project shows that calling `method` on what `ref` names
        sends nothing (see the module's documentation)."""
        if len(guard) > _MAX_DEPTH:
            return False
        thing = self.thing(path, ref)
        if thing is None:
            return False
        kind, where, name = thing
        if kind == CLIENT:
            return not Client.parse(where).sends_with(method)
        if kind == _MODULE:
            return bool(method) and self._silent(where, (NAME, method), "", guard)
        if kind == _FUNCTION:
            return not method and self._quiet(where, name, guard)
        if (where, name) in self._subclassed:
            return False  # the value may be of a subclass that sends
        lineage = self._lineage(where, name)
        for owner, qualname in lineage:
            if f"{qualname}.{method}" in self._brokers(owner).sends:
                return self._quiet(owner, f"{qualname}.{method}", guard)
        return all(self._closed(owner, qualname) for owner, qualname in lineage)

    def _quiet(self, path: str, qualname: str, guard: frozenset[tuple[str, str, str]]) -> bool:
        """Whether every call of a function or method that may send is shown
        to send nothing (a function met again adds nothing)."""
        step = (path, qualname, "")
        if step in guard:
            return True
        guard = guard | {step}
        for kind, text, method, *_ in self._brokers(path).sends.get(qualname, ()):
            if kind == UNSEEN or not self._silent(path, (kind, text), method, guard):
                return False
        return True

    @cached_property
    def _subclassed(self) -> frozenset[tuple[str, str]]:
        """(file, name) of every class of the project another class derives
        from (a base class of its own included: it has no class facts)."""
        out: set[tuple[str, str]] = set()
        modules = self.modules
        for path in sorted(self.facts):
            for cls in self.facts[path].classes:
                for base in cls.bases:
                    head, _, rest = base.partition(".")
                    found = modules.resolve_name(path, head) if head else None
                    if found is not None and rest and found[1] is None and "." not in rest:
                        found = modules.resolve_name(found[0], rest)
                    elif rest:
                        found = None
                    if found is not None and found[1] is not None:
                        out.add((found[0], found[1]))
        return frozenset(out)

    def _closed(self, path: str, qualname: str) -> bool:
        """A class whose methods the project knows: no base outside the project
        (`Protocol`, `ABC`, a library's class; not a name bound to one)."""
        cls = self.models.class_facts(path, qualname)
        if cls is None:
            facts = self.facts.get(path)
            return facts is not None and qualname not in facts.type_aliases  # no base
        for base in cls.bases:
            if base in _NO_BASES or base.rsplit(".", 1)[-1] in _NO_BASES:
                continue
            if not isinstance(self.models.resolve_class(path, base), ClassRef):
                return False
        return True

    def _through(
        self, path: str, qualname: str, guard: frozenset[tuple[str, str, str]]
    ) -> Reach | None:
        """The first call of a function or method (`qualname` in `path`) that
        reaches a broker."""
        step = (path, qualname, "")
        if step in guard:
            return None
        guard = guard | {step}
        brokers = self._brokers(path)
        first: Reach | None = None
        flow: set[str] | None = set()
        for entry in brokers.sends.get(qualname, ()):
            found = self._entry(path, entry, guard)
            if found is None:
                continue
            if first is None:
                first = found
            if found.message is None or flow is None:
                flow = None  # where one call's message is not known, neither is this one's
            else:
                flow |= passed(entry[4], found.message)
        if first is None:
            return None
        known = brokers.signatures.get(qualname)
        message = None
        if flow is not None and known is not None:
            message = wrapper_slot(known, frozenset(flow))
        receiver = first.receiver
        return Reach(first.client, receiver, first.path, (qualname, *first.chain), message)

    def _entry(
        self, path: str, entry: Entry, guard: frozenset[tuple[str, str, str]]
    ) -> Reach | None:
        kind, text, method, written, _ = entry
        found = self._reach(path, (kind, text), method, guard)
        if found is None:
            return None
        if found.receiver:
            return found
        return Reach(found.client, written, path, found.chain, found.message)

    def _lineage(self, path: str, qualname: str) -> list[tuple[str, str]]:
        """The class and its project bases, nearest first (a few steps)."""
        out = [(path, qualname)]
        index = 0
        while index < len(out) and len(out) < 6:
            where, name = out[index]
            index += 1
            for base in self.models.bases(where, name):
                if isinstance(base, ClassRef) and tuple(base) not in out:
                    out.append((base.path, base.qualname))
        return out

    # what a reference names ------------------------------------------------------------
    def thing(self, path: str, ref: Ref, depth: int = 0) -> Thing | None:
        """What `ref`, read in file `path`, names: a client, a class (its
        instance), a function or a module of the project; None when unknown."""
        if depth > _MAX_DEPTH:
            return None
        kind, text = ref
        if kind == CLIENT:
            return (CLIENT, text, "")
        if kind == SELF:
            return (_CLASS, path, text)
        if kind == INSTANCE:
            found = self._named(path, text, depth)
            if found is None:
                return None
            if found[0] in (_CLASS, CLIENT):
                return found
            if found[0] == _FUNCTION:  # a class defined here has no broker facts
                return (_CLASS, found[1], found[2])
            return None
        if kind == RETURNS:
            found = self._named(path, text, depth)
            if found is None or found[0] not in (_FUNCTION, _CLASS):
                return None
            returned = self._brokers(found[1]).returns.get(found[2])
            return self.thing(found[1], returned, depth + 1) if returned is not None else None
        if kind == NAME:
            return self._named(path, text, depth)
        return None

    def _named(self, path: str, written: str, depth: int) -> Thing | None:
        """What a dotted name written at module level of file `path` names."""
        facts = self.facts.get(path)
        if facts is None or depth > _MAX_DEPTH:
            return None
        head, _, rest = written.partition(".")
        binding = facts.bindings.get(head)
        if binding is None or binding.kind == DEF:
            if rest:
                return None  # an attribute of a value made here: unknown
            brokers = self._brokers(path)
            held = brokers.names.get(head)
            if held is not None:
                return self.thing(path, held, depth + 1)
            call = facts.calls.get(head)
            if call is not None:
                callee, origin = call
                if origin:
                    made = client_of(origin)
                    if made is not None:
                        return (CLIENT, made.text, "")
                last = callee.rsplit(".", 1)[-1]
                kind = INSTANCE if last[:1].isupper() and not last.isupper() else RETURNS
                return self.thing(path, (kind, callee), depth + 1)
            return (_FUNCTION, path, head) if binding is not None else None
        found = self.modules.resolve_name(path, head)
        if found is None:
            external = self.modules.external_origin(path, head)
            if external is not None:
                made = client_of(f"{external}.{rest}" if rest else external)
                if made is not None:
                    return (CLIENT, made.text, "")
            return None
        where, there = found
        if there is None:
            if not rest:
                return (_MODULE, where, "")
            return self._named(where, rest, depth + 1)
        if (where, there) == (path, head):
            return None
        return self._named(where, f"{there}.{rest}" if rest else there, depth + 1)
