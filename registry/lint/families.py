"""Importing this module registers every family of lint rules, in the order they are documented."""

from . import wording, duplicates, progression, plausibility, terms, translation  # noqa: F401
