"""What a check reports: one problem at one place in one document."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

PathParts = tuple[Any, ...]


def json_path(parts: Iterable[Any]) -> str:
    """Render path parts as a JSONPath like ``$.levels[0].id`` (the form jsonschema uses)."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif isinstance(part, str) and part.isidentifier():
            out.append(f".{part}")
        else:
            out.append("[" + repr(str(part)) + "]")
    return "".join(out)


@dataclass(frozen=True)
class Issue:
    """One problem found in a document.

    ``rule`` is a stable identifier: ``yaml-*`` for loading, ``schema.<keyword>`` for JSON Schema,
    and the rule IDs of :mod:`registry.rules` for the rules beyond the schema.
    ``line`` and ``column`` are 1-based; they are ``None`` only when the problem has no place
    in the text (a file that cannot be read at all).
    """

    rule: str
    message: str
    path: str = "$"
    line: int | None = None
    column: int | None = None
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def location(self) -> str:
        """``file:line:column`` for people (any part that is unknown is left out)."""
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def describe(self) -> str:
        """What a report line says after ``file:line:column: RULE:`` (the message)."""
        return self.message

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line or 0, self.column or 0, self.rule)
