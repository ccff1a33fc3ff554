"""POST /api/v1/lint: the quality linter over a YAML body, compared with the published standards.

The route belongs to the ``api`` blueprint (endpoint ``api.lint``, the operationId of the OpenAPI
document): importing this module adds it, and ``create_app`` imports it before registering the
blueprint; its declaration documents it in the OpenAPI document. Nothing is stored; the corpus index
is built once per process and follows the catalog's change log.
"""

from __future__ import annotations

from typing import Literal

from flask import current_app
from pydantic import ConfigDict, Field, create_model

from ..declared import Reply
from ..lint.base import SEVERITIES
from . import bp, serialize
from .contract import Answer, RawBody, reply, route
from .requests import yaml_body

Place = int | None


class Related(Reply):
    """The other item of a near-duplicate or a repeat, to show side by side: its standard, version, id, text
    and place, and the similarity score (0-100); more: how many other matches were found."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    code: str
    version: str
    item_id: str
    text: str
    score: float
    level: str
    path: str
    direction: str | None = None
    file: str | None = None
    line: Place = Field(None, ge=1)
    column: Place = Field(None, ge=1)
    more: int = Field(None, ge=0)


class Finding(Reply):
    rule: str = Field(description="A lint rule ID (docs/lint.md), or a validation rule ID.")
    severity: Literal[SEVERITIES]  # type: ignore[valid-type]
    message: str
    hint: str = Field(description="How to fix it, in one line.")
    path: str = Field(description="A JSONPath to the problem, like $.levels[0].id.")
    line: Place = Field(ge=1)
    column: Place = Field(ge=1)
    related: Related | None


Counts = create_model("LintCounts", __base__=Reply, **{s: (int, Field(ge=0)) for s in SEVERITIES})


class LintResult(Reply):
    model_config = ConfigDict(json_schema_serialization_defaults_required=False)

    valid: bool = Field(description="No finding of severity error.")
    counts: Counts = Field(description="How many findings of each severity.")  # type: ignore[valid-type]
    findings: list[Finding] = Field(description=f"The findings, at most the first {serialize.MAX_LISTED}.")
    more: int = Field(None, ge=1, description="Only when some are not listed: how many more findings there are.")


def corpus_cache():
    """This process's index of the versions in force (the API and the portal share it)."""
    from ..services.lint_corpus import CorpusCache

    return current_app.extensions.setdefault("registry.lint_corpus", CorpusCache())


@route(bp, "POST", "/lint", summary="Lint a standard without storing it", tag="validation", body=RawBody("AnyYaml"),
       answers={200: Answer("Every finding: the validator's problems (errors), then the quality rules (200 either "
                            "way). Near-duplicates are looked up among the published standards.", LintResult)},
       errors={413: None, 415: None})
def lint():
    from ..services.lint_corpus import lint_upload

    extensions = current_app.extensions
    report = lint_upload(extensions["registry.engine"], extensions["registry.clock"], yaml_body(), corpus_cache())
    listed, more = serialize.capped(report.issues)
    return reply(LintResult(valid=report.valid, counts=report.counts, findings=[_finding(i) for i in listed],
                            **({"more": more} if more else {})), exclude_unset=True)


def _finding(issue) -> Finding:
    related = issue.related and Related(**{k: (serialize.shorten(v) if isinstance(v, str) else v)
                                           for k, v in issue.related.items()})
    return Finding(rule=issue.rule, severity=issue.severity, message=serialize.shorten(issue.message),
                   hint=serialize.shorten(issue.hint), path=serialize.shorten(issue.path), line=issue.line,
                   column=issue.column, related=related)
