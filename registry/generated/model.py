"""What a generated document is made of: a few kinds of blocks that both writers understand.

The documents generated for a level (:mod:`registry.generated.documents`) are built once as these
plain records, then written as PDF (``registry/templates/print/generated.html`` through the render
worker) and as DOCX (:mod:`registry.exports.docx_writer`): the two files say the same things, and
the tests read the records to know what a reader must find in either.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Part:
    """One paragraph of a cell or one entry of a list: a text, where it leads, a smaller note."""

    text: str
    #: a link the text leads to (an item's permalink)
    link: str | None = None
    #: a second, smaller line (the item's ID, where it comes from)
    note: str = ""


@dataclass(frozen=True)
class Cell:
    parts: tuple[Part, ...] = ()
    #: a tick box to fill in by hand
    box: bool = False

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.parts)


def cell(text: str = "", link: str | None = None, note: str = "") -> Cell:
    """A cell of one paragraph."""
    return Cell((Part(text, link, note),)) if text or note else Cell()


@dataclass(frozen=True)
class Column:
    label: str
    #: share of the table's width, in percent (the columns of a table add up to 100)
    width: int
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    #: a row that names a group of the rows below it, across the whole table
    group: bool = False
    #: the total row of a table
    total: bool = False


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    #: a name for the table's kind (the stylesheet's class)
    kind: str = "grid"


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: str = ""  # "note": smaller, grey


@dataclass(frozen=True)
class Bullets:
    items: tuple[Part, ...]


@dataclass(frozen=True)
class Facts:
    """Label and value pairs (the identity of the document and of the standard it comes from)."""

    pairs: tuple[tuple[str, Part], ...]


@dataclass(frozen=True)
class Signatures:
    """Lines to sign by hand, with their labels."""

    labels: tuple[str, ...]


Block = Heading | Paragraph | Bullets | Facts | Table | Signatures


@dataclass
class Generated:
    """One generated document, in one language."""

    kind: str  # "level", "job-description", "assessment-checklist", "training-plan"
    lang: str
    title: str  # "岗位说明书" ...
    subject: str  # the occupation, level and direction it is about
    code: str
    version: str
    #: what the head of every page and the verification box print
    standing: str
    sha256: str
    verify_url: str
    permalink: str
    #: the identity block printed under the title
    facts: Facts
    blocks: list[Block] = field(default_factory=list)
    #: the paragraph under the verification box
    verify_text: str = ""

    @property
    def attachment_name(self) -> str:
        return f"{self.code}-{self.version}.yaml"

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
