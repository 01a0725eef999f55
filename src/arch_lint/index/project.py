"""The project index: every file's facts and the indexes built on them.

Built once per run (once per flake8 worker process) from the cached facts. It
holds the layout and the facts and builds, over them, the module graph
(`modules`: import resolution), the model index (`models`: what a class is),
the data-layer index (`data`: data-layer files, tables, JSON columns), the
event evidence (`events`: what the project shows a model to be) and the
message flow (`messages`: who publishes and who reads each topic and event
model), the broker evidence (`brokers`: which calls reach a message broker)
and the `source_service` stamps (`source_services`: what each service stamps,
and the name it should), and the HTTP map (`http`: service URLs, routes,
calls between services); its own
answer is the digest the findings cache is keyed by. Rules ask their file's
context where a file lies (service, public, shared models), and these indexes
everything else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cached_property

from arch_lint.index.broker_evidence import BrokerEvidence
from arch_lint.index.data_index import DataIndex, TableOwners
from arch_lint.index.event_evidence import EventEvidence
from arch_lint.index.facts import FileFacts
from arch_lint.index.http_map import HttpMap
from arch_lint.index.layout import Layout
from arch_lint.index.messages import MessageFlow
from arch_lint.index.model_index import ClassRef, ClassTarget, ModelIndex, normalise_type
from arch_lint.index.modgraph import MAX_REEXPORT_DEPTH, ModuleGraph, Target
from arch_lint.index.source_service import SourceServices

__all__ = [
    "MAX_REEXPORT_DEPTH",
    "ClassRef",
    "ClassTarget",
    "ProjectIndex",
    "TableOwners",
    "Target",
    "normalise_type",
]


class ProjectIndex:
    """Whole-project facts, shared by every rule of a run."""

    def __init__(
        self,
        layout: Layout,
        facts: Mapping[str, FileFacts],
        interface_hashes: Mapping[str, str] | None = None,
    ) -> None:
        self.layout = layout
        self.facts = facts
        self._interface_hashes = interface_hashes or {}
        self.modules = ModuleGraph(layout, facts)
        self.models = ModelIndex(layout, facts, self.modules)
        self.data = DataIndex(layout, facts, self.models)
        self.brokers = BrokerEvidence(facts, self.models)
        self.events = EventEvidence(layout, facts, self.models, self.data, self.brokers)
        self.messages = MessageFlow(layout, facts, self.models, self.events)
        self.source_services = SourceServices(layout, facts, self.models)
        self.http = HttpMap(layout, facts, self.modules, self.models)

    def interface_hash(self, path: str) -> str:
        """The hash of the part of `path`'s facts other files' findings may depend on."""
        known = self._interface_hashes.get(path)
        return known or self.facts[path].interface_hash()

    @cached_property
    def digest(self) -> str:
        """Changes whenever anything another file's findings may depend on changes."""
        h = hashlib.blake2b(digest_size=16)
        h.update(self.layout.settings.fingerprint.encode())
        for path in sorted(self.facts):
            h.update(path.encode())
            h.update(self.interface_hash(path).encode())
        return h.hexdigest()
