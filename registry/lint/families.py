"""Importing this module registers every family of lint rules, in the order they are documented."""

from . import duplicates, plausibility, progression, terms, translation, wording  # noqa: F401
