"""The one table of output formats: every file the registry issues for a version.

Each row says how the format is named, served, cached and rendered. The download routes, the
export service, ``registry export`` and the standard's and level's pages read this table; a new
format is one row here (and its renderer), and the tests check every reader offers every row.

A row's ``scope`` says what one file covers: a whole version (``/standards/{code}/{version}.pdf``),
or one level of it, and one direction where the level is split by direction
(``/standards/{code}/{version}/levels/{level}[/{direction}]{suffix}``: the level sheet ``L3.pdf``,
``L3.csv``, and the generated documents ``L3/job-description.pdf`` ...). ``document`` names the
generated document a level row is (None for the level sheet itself).

Renderers are called with a :class:`RenderJob` and return the file's bytes. They are pure
functions of the job: the document, its exact source, the facts of :class:`VersionInfo` that the
format prints, and the display language where the format has one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .info import VersionInfo

#: a year: for files that depend on the published bytes alone
SOURCE_MAX_AGE = 31536000
#: an hour: for files that print the version's standing, which changes when a later version is
#: published or takes effect, or the version is withdrawn (the same URL then gets new bytes and a
#: new ETag; within this time a cache may keep the old file)
STANDING_MAX_AGE = 3600


#: what one file covers: a whole version, or one level (and direction) of it
VERSION, LEVEL = "version", "level"


@dataclass(frozen=True)
class RenderJob:
    doc: dict
    source: bytes
    info: VersionInfo
    #: the translation shown beside the master text (formats with ``languages``), None for the default
    lang: str | None = None
    #: seconds a PDF render may take (the render worker's own limit when None)
    timeout: float | None = None
    #: the level (and direction) of a level row: a :class:`registry.levels.Scope`
    scope: Any = None


@dataclass(frozen=True)
class OutputFormat:
    name: str
    suffix: str
    media_type: str
    #: what the download button says
    label: str
    #: whether the bytes show the version's standing (the cache address and lifetime depend on it)
    prints_standing: bool
    #: whether the file is shaped by the templates and shows one display language (``?lang=``)
    templated: bool
    #: shown in the browser (False: downloaded as a file)
    inline: bool
    render: Callable[[RenderJob], bytes]
    scope: str = VERSION
    #: the generated document a level row is (``job-description`` ...), None for the level sheet
    document: str | None = None
    #: whether the bytes show the day they were made ("standing on <day>"): cached per day
    prints_day: bool = False

    @property
    def max_age(self) -> int:
        return STANDING_MAX_AGE if self.prints_standing else SOURCE_MAX_AGE


def _yaml(job: RenderJob) -> bytes:
    """The exact published YAML: the bytes whose sha256 the catalog records, never re-serialised."""
    return bytes(job.source)


def _json(job: RenderJob) -> bytes:
    """The document as UTF-8 JSON, in the field order of the source file, ending with a newline.
    Only the document: the standing is in the API and the CASE export."""
    return (json.dumps(job.doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _csv(job: RenderJob) -> bytes:
    from .csv_matrix import competency_matrix

    return competency_matrix(job.doc, version_info=job.info)


def _case(job: RenderJob) -> bytes:
    from .case import package_json

    return package_json(job.doc, version_info=job.info, base_url=job.info.base_url)


def _html(job: RenderJob) -> bytes:
    from ..render import render_html

    return render_html(job.doc, lang=job.lang, status_info=job.info, standalone=True).encode("utf-8")


def _pdf(job: RenderJob) -> bytes:
    from ..render import render_standard_pdf

    return render_standard_pdf(job.doc, source=job.source, status_info=job.info, lang=job.lang, timeout=job.timeout)


def _level_csv(job: RenderJob) -> bytes:
    from .csv_matrix import level_matrix

    return level_matrix(job.doc, job.scope, version_info=job.info)


def _generated_pdf(document: str) -> Callable[[RenderJob], bytes]:
    def render_pdf(job: RenderJob) -> bytes:
        from ..generated import build
        from ..render import check_size
        from ..render.generated import render_generated_pdf

        check_size(job.doc)  # a level sheet holds up to every table of the standard
        return render_generated_pdf(build(document, job.doc, job.scope, job.info, job.lang), source=job.source,
                                    timeout=job.timeout)

    return render_pdf


def _generated_docx(document: str) -> Callable[[RenderJob], bytes]:
    def render_docx(job: RenderJob) -> bytes:
        from ..generated import build
        from .docx_writer import docx_bytes

        return docx_bytes(build(document, job.doc, job.scope, job.info, job.lang))

    return render_docx


PDF, CSV = "application/pdf", "text/csv; charset=utf-8; header=present"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: the documents generated for a level, in the order the level's page offers them
GENERATED = ("job-description", "assessment-checklist", "training-plan")


def _generated_rows():
    for document in GENERATED:
        yield OutputFormat(f"{document}.pdf", f"/{document}.pdf", PDF, "PDF", True, True, False,
                           _generated_pdf(document), LEVEL, document, True)
        yield OutputFormat(f"{document}.docx", f"/{document}.docx", DOCX, "DOCX", True, True, False,
                           _generated_docx(document), LEVEL, document, True)


#: by name, in the order the standard's and the level's pages offer them
FORMATS: dict[str, OutputFormat] = {f.name: f for f in (
    OutputFormat("pdf", ".pdf", PDF, "PDF", True, True, False, _pdf),
    OutputFormat("html", ".html", "text/html; charset=utf-8", "HTML", True, True, True, _html),
    OutputFormat("csv", ".csv", CSV, "CSV", True, False, False, _csv),
    OutputFormat("case.json", ".case.json", "application/json", "CASE JSON", True, False, False, _case),
    OutputFormat("yaml", ".yaml", "application/yaml", "YAML", False, False, False, _yaml),
    OutputFormat("json", ".json", "application/json", "JSON", False, False, False, _json),
    # one level (and direction): the level sheet, and the documents generated from it
    OutputFormat("level.pdf", ".pdf", PDF, "PDF", True, True, False, _generated_pdf("level"), LEVEL, None, True),
    OutputFormat("level.csv", ".csv", CSV, "CSV", True, False, False, _level_csv, LEVEL),
    *_generated_rows(),
)}


def of_scope(scope: str) -> dict[str, OutputFormat]:
    return {name: f for name, f in FORMATS.items() if f.scope == scope}


#: per scope, longest first, so that "x.case.json" is not read as "x.case" + ".json" (nor
#: "L3/job-description.pdf" as level "L3/job-description" + ".pdf")
SUFFIXES = sorted(((f.suffix, name) for name, f in of_scope(VERSION).items()), key=lambda s: -len(s[0]))
LEVEL_SUFFIXES = sorted(((f.suffix, name) for name, f in of_scope(LEVEL).items()), key=lambda s: -len(s[0]))


def render(name: str, job: RenderJob) -> bytes:
    """Render one format of a version: the single entry point of every reader of the table."""
    if name not in FORMATS:
        raise KeyError(f"unknown export format {name!r}; known: {', '.join(FORMATS)}")
    return FORMATS[name].render(job)
