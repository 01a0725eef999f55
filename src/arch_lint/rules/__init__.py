"""The rule registry: every rule arch-lint knows, in code order.

Adding a rule takes its module and its entry in `RULES`: the codes a
configuration or the command line may name (`select`, `ignore`, …) are checked
against this registry, and the docs are generated from it.
"""

from __future__ import annotations

from arch_lint import __version__
from arch_lint.config.model import register_code_check
from arch_lint.rules._base import FileContext, FileRule, MetaRule, Rule, SchemaRule
from arch_lint.rules.api_response_missing_metadata import ApiResponseMissingMetadata
from arch_lint.rules.configuration_matches_nothing import ConfigurationMatchesNothing
from arch_lint.rules.correlation_id_in_message import CorrelationIdInMessage
from arch_lint.rules.cross_service_data_access import CrossServiceDataAccess
from arch_lint.rules.cross_service_import import CrossServiceImport
from arch_lint.rules.dto_outside_common import DtoOutsideCommon
from arch_lint.rules.envelope_missing_metadata import EnvelopeMissingMetadata
from arch_lint.rules.event_model_outside_common import EventModelOutsideCommon
from arch_lint.rules.foreign_model_use import ForeignModelUse
from arch_lint.rules.foreign_table_access import ForeignTableAccess
from arch_lint.rules.fresh_correlation_id import FreshCorrelationId
from arch_lint.rules.http_contract_outside_common import HttpContractOutsideCommon
from arch_lint.rules.inconsistent_source_service import InconsistentSourceService
from arch_lint.rules.json_column_mutation_lost import JsonColumnMutationLost
from arch_lint.rules.log_missing_correlation_id import LogMissingCorrelationId
from arch_lint.rules.log_missing_correlation_id_strict import LogMissingCorrelationIdStrict
from arch_lint.rules.loose_model_field_type import LooseModelFieldType
from arch_lint.rules.metadata_model_allows_extra import MetadataModelAllowsExtra
from arch_lint.rules.metadata_overwrite import MetadataOverwrite
from arch_lint.rules.placeholder_description import PlaceholderDescription
from arch_lint.rules.raw_dict_inter_service_payload import RawDictInterServicePayload
from arch_lint.rules.raw_storage_reference import RawStorageReference
from arch_lint.rules.schema_enum_member_added import SchemaEnumMemberAdded
from arch_lint.rules.schema_enum_member_removed import SchemaEnumMemberRemoved
from arch_lint.rules.schema_field_added_strict_reader import SchemaFieldAddedStrictReader
from arch_lint.rules.schema_field_now_required import SchemaFieldNowRequired
from arch_lint.rules.schema_field_removed import SchemaFieldRemoved
from arch_lint.rules.schema_field_type_changed import SchemaFieldTypeChanged
from arch_lint.rules.schema_model_removed import SchemaModelRemoved
from arch_lint.rules.shadow_model import ShadowModel
from arch_lint.rules.sync_db_client import SyncDbClient
from arch_lint.rules.syntax_error import SyntaxErrorRule
from arch_lint.rules.undescribed_model_field import UndescribedModelField
from arch_lint.rules.untyped_model_field import UntypedModelField
from arch_lint.rules.unused_suppression import UnusedSuppression
from arch_lint.rules.unversioned_shared_model import UnversionedSharedModel

RULES: tuple[type[Rule], ...] = (
    ConfigurationMatchesNothing,
    SyntaxErrorRule,
    UnusedSuppression,
    CrossServiceDataAccess,
    CrossServiceImport,
    ForeignTableAccess,
    SyncDbClient,
    ForeignModelUse,
    EventModelOutsideCommon,
    DtoOutsideCommon,
    EnvelopeMissingMetadata,
    RawStorageReference,
    RawDictInterServicePayload,
    ShadowModel,
    HttpContractOutsideCommon,
    UnversionedSharedModel,
    ApiResponseMissingMetadata,
    InconsistentSourceService,
    LogMissingCorrelationId,
    LogMissingCorrelationIdStrict,
    CorrelationIdInMessage,
    FreshCorrelationId,
    UntypedModelField,
    UndescribedModelField,
    LooseModelFieldType,
    PlaceholderDescription,
    MetadataModelAllowsExtra,
    MetadataOverwrite,
    JsonColumnMutationLost,
    SchemaFieldRemoved,
    SchemaFieldTypeChanged,
    SchemaFieldNowRequired,
    SchemaModelRemoved,
    SchemaEnumMemberRemoved,
    SchemaEnumMemberAdded,
    SchemaFieldAddedStrictReader,
)

BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in RULES}
BY_NAME: dict[str, type[Rule]] = {rule.name: rule for rule in RULES}

assert len(BY_CODE) == len(RULES), "rule codes must be unique"
assert list(BY_CODE) == sorted(BY_CODE), "RULES must be in code order"

RESERVED_CODES: frozenset[str] = frozenset()
"""Codes SPEC §4 reserves for rules this version does not implement yet. A
configuration may name them (it may be written for a newer arch-lint): they are
accepted silently and select nothing. Implementing one needs no edit here, as
the registry is asked first."""


def code_problem(value: str) -> str | None:
    """Why a well-formed code or prefix (`ARC101`, `ARC1`) names no rule of the
    registry, or None when it names one (or a reserved code)."""
    if any(code.startswith(value) for code in BY_CODE):
        return None
    if any(code.startswith(value) for code in RESERVED_CODES):
        return None
    if len(value) == len("ARC000"):
        return f"`{value}` is not the code of any rule of arch-lint {__version__}"
    return f"no rule of arch-lint {__version__} has a code starting with `{value}`"


register_code_check(code_problem)

__all__ = [
    "BY_CODE",
    "BY_NAME",
    "RESERVED_CODES",
    "RULES",
    "FileContext",
    "FileRule",
    "MetaRule",
    "Rule",
    "SchemaRule",
    "code_problem",
]
