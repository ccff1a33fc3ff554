"""What the JSON API answers: one pydantic model per object, its JSON Schema the OpenAPI schema.

Every model is a :class:`~registry.api.contract.Reply`: closed and with every field present, so an
answer with a field the document does not describe fails where it is built. ``registry.api.serialize``
builds them from catalog rows.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from ..declared import Reply
from ..diff import MAJOR, MINOR, NONE
from ..lifecycle import DRAFT_STATES, STANDINGS, START_NOT_STATED, START_PUBLICATION, START_STATED

Day = Annotated[str, Field(json_schema_extra={"format": "date"})]
Moment = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Standing_ = Literal[STANDINGS]  # type: ignore[valid-type]
ChangeClass = Literal[MAJOR, MINOR, NONE]  # type: ignore[valid-type]
SHA256 = Annotated[str, Field(pattern="^[0-9a-f]{64}$", description="SHA-256 of the exact source bytes.")]


def _(description: str, **keywords: Any) -> Any:
    return Field(description=description, **keywords)


class ErrorDetail(Reply):
    code: str = _("A stable, machine-readable code (not_found, version_conflict, ...).")
    message: str = _("For people.")
    details: Any = _("More about the error, or null: e.g. the issues of an invalid standard, the field at "
                     "fault (field), the current ETag.")


class Error(Reply):
    """Every error the API answers."""

    error: ErrorDetail


class Issue(Reply):
    """One problem at one place of a document (lines and columns are 1-based)."""

    line: int | None = Field(ge=1)
    column: int | None = Field(ge=1)
    path: str = _("A JSONPath to the problem, like $.levels[0].id.")
    rule: str = _("yaml-*, schema.<keyword>, or a rule ID of registry.rules.")
    message: str


class ValidationResult(Reply):
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    valid: bool
    errors: list[Issue] = _("The issues found, in document order: the first 200 of them.")
    more: int = _("Only when some are not listed: how many more issues were found.", ge=1, default=None)


class Standing(Reply):
    """A version's standing on a day, derived from the dates its document states."""

    standing: Standing_
    current: bool = _("Whether it is the version in force.")
    in_force_from: Day | None = _("Its first day in force (null: not stated, see start_basis).")
    start_basis: Literal[START_STATED, START_PUBLICATION, START_NOT_STATED] = _(  # type: ignore[valid-type]
        "stated: its document states the day; publication: it states none, so the day it was published in this "
        "registry; not-stated: it states none and is the first version, in force before any other.")
    in_force_until: Day | None = _("Its last day in force (inclusive); null while open-ended.")
    never_in_force: bool = _("A later version started first.")
    superseded_by: str | None = _("The version that supersedes it, now or from superseded_from.")
    superseded_from: Day | None
    withdrawn_at: Moment | None
    withdrawn_reason: str | None


class VersionSummary(Reply):
    code: str = _("The occupation code, e.g. 4-04-05-05.")
    version: str = _("MAJOR.MINOR", pattern=r"^[0-9]+\.[0-9]+$")
    status: Standing_ = _("The version's standing on the day asked about (today by default).")
    sha256: SHA256
    effective_from: Day | None = _("The first day in force its document states (null: not stated).")
    effective_until: Day | None = _("The last day in force its document states (null: none).")
    published_at: Moment
    published_by: str = _("The account that published it.")
    withdrawn_reason: str | None
    bump_reason: str | None = _("Why a smaller version bump than the changes need was accepted.")
    standing: Standing


class VersionDetail(VersionSummary):
    document: dict[str, Any] = _("The parsed standard (format 1.0; see docs/format.md).")


class _StandardFacts(Reply):
    code: str
    title: str = _("The title in the standard's master language.")
    title_en: str = _("The English title ('' when there is none).")
    sector: str
    type: str = _("The standard type (skill, technical, ...).")
    body: str | None = _("The id of its keeper: the standards body whose drafts may change it (null: none "
                            "assigned yet).")


class StandardSummary(_StandardFacts):
    """in_force: the version in force today (null when none is); latest: the highest version number,
    whatever its standing."""

    in_force: VersionSummary | None
    latest: VersionSummary | None


class StandardDetail(_StandardFacts):
    as_of: Day = _("The day the standings are for: today, or ?as_of.")
    in_force: VersionSummary | None
    versions: list[VersionSummary]


class StandardPage(Reply):
    total: int = _("Standards matching the filters, on all pages.", ge=0)
    page: int = Field(ge=1)
    per_page: int = Field(ge=1)
    items: list[StandardSummary]


class Keeper(Reply):
    code: str
    body: str = _("The keeper's id.")


class DiffLocation(Reply):
    level: str | None
    direction: str | None
    function: str | None
    work_content: str | None
    group: str | None
    number: str | None


class ItemChange(Reply):
    kind: str = _("added, removed, or +-joined flags among moved/reordered and reworded",
                  pattern=r"^(added|removed|(moved|reordered|reworded)(\+(moved|reordered|reworded))*)$")
    item_id: str = _("The item's stable ID.")
    item_kind: str = _("level, direction, function, requirement, knowledge, ...")
    old_location: DiffLocation | None
    new_location: DiffLocation | None
    old_text: Any = _("The full text as written: a string or a {language: text} map.")
    new_text: Any = _("The full text as written: a string or a {language: text} map.")


class WeightChange(Reply):
    table: str
    level: str
    direction: str | None
    row: str = _("ethics, basic_knowledge or a function ID")
    old: int | None
    new: int | None


class MetadataChange(Reply):
    """One metadata field; null on a side means the field is absent there."""

    path: str
    old: Any
    new: Any


class AddedRemoved(Reply):
    added: list[str]
    removed: list[str]


class Diff(Reply):
    """Item-level differences between two versions, compared by stable ID (registry.diff.Diff.to_dict;
    docs/format.md section 6)."""

    change_class: ChangeClass
    summary: str
    counts: dict[str, Annotated[int, Field(ge=0)]]
    items: list[ItemChange]
    levels: AddedRemoved
    directions: AddedRemoved
    functions: AddedRemoved
    weights: list[WeightChange]
    metadata: list[MetadataChange]
    release: list[MetadataChange]


class StandardDiff(Reply):
    code: str
    from_: str = Field(alias="from")
    to: str
    change_class: ChangeClass
    summary: str
    diff: Diff


class DraftDiff(Reply):
    base: str | None = _("The published version compared with (null: the standard is new).")
    change_class: ChangeClass
    summary: str
    diff: Diff | None


class Draft(Reply):
    id: int
    body: str = _("The standards body the draft belongs to.")
    code: str
    version: str
    status: Literal[DRAFT_STATES]  # type: ignore[valid-type]
    revision: int = _("Grows with every edit and every state change.", ge=1)
    sha256: SHA256
    created_by: str
    created_at: Moment
    updated_at: Moment
    published_version_id: int | None


class DraftList(Reply):
    items: list[Draft]


class Comment(Reply):
    id: int
    draft_id: int
    author: str
    body: str
    path: str | None = _("The JSON path of the draft the comment is about.")
    created_at: Moment


class CommentList(Reply):
    items: list[Comment]


class AuditEvent(Reply):
    id: int = _("Increasing in commit order: an event committed later never gets a smaller id, so paging with "
                "?after=<last id> misses nothing.")
    at: Moment
    actor: str = _("Who acted. In the public trail by role, never an e-mail: body:<id> for a body's members, a "
                   "registrar token's name (registrar:<name>) or registrar, system:loader for the corpus loader. "
                   "Registrars see the account name.")
    action: str = _("publish, withdraw, assign (a keeper), draft-create, draft-update, submit, approve, "
                    "request-changes, publish-draft, comment (supersede in catalogs of earlier releases); for "
                    "registrars also account, sign-in and token events.")
    code: str | None
    version: str | None
    draft_id: int | None
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]


class AuditPage(Reply):
    items: list[AuditEvent]


class Verification(Reply):
    """The verdict on a sha256; the fields after ``reason`` are present only for an authentic document."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    authentic: bool
    sha256: str
    reason: str = None  # type: ignore[assignment]
    format: str | None = _("The format of the file with this sha256 (yaml: the source).", default=None)
    lang: str | None = None
    scope: str | None = _("The level (and direction) a level file covers (L3, junior/cv); null for a whole "
                             "version's file.", default=None)
    issued_at: Moment = None  # type: ignore[assignment]
    code: str = None  # type: ignore[assignment]
    version: str = None  # type: ignore[assignment]
    source_sha256: str = None  # type: ignore[assignment]
    effective_from: Day | None = None
    effective_until: Day | None = None
    as_of: Day = None  # type: ignore[assignment]
    in_force_version: str | None = None
    standing: Standing_ = None  # type: ignore[assignment]
    current: bool = None  # type: ignore[assignment]
    in_force_from: Day | None = None
    start_basis: Literal[START_STATED, START_PUBLICATION, START_NOT_STATED] = None  # type: ignore
    in_force_until: Day | None = None
    never_in_force: bool = None  # type: ignore[assignment]
    superseded_by: str | None = None
    superseded_from: Day | None = None
    withdrawn_at: Moment | None = None
    withdrawn_reason: str | None = None


class EmbeddedSource(Verification):
    """One YAML file embedded in a PDF: its name and the verdict on its sha256."""

    name: str = None  # type: ignore[assignment]


class PdfVerification(Reply):
    file_sha256: str
    issued: bool = _("These exact bytes are a file the registry issued.")
    embedded: list[EmbeddedSource]
    authentic_source: EmbeddedSource | None
    verdict: Literal["issued", "authentic-source", "unknown-source", "no-source"]
