"""The figures of the generated documents: each requirement's weight, each module's hours.

An assessment checklist gives every skill requirement of a level a weight from the level's column of
the skills weight table: a function's weight is divided equally among its requirements. A training
plan gives each work content (a module) the share of the level's reference training hours that its
requirements weigh. Shown figures are rounded so that they still add up exactly (to 100, and to the
level's hours): the largest remainders get the last units (Hamilton's method).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction


def apportion(shares: Mapping[Hashable, Fraction], total: Fraction, unit: Fraction) -> dict[Hashable, Fraction]:
    """``shares`` (exact, adding up to ``total``) rounded to multiples of ``unit`` that add up to
    ``total`` too; the rounding goes to the largest remainders, ties in the order given."""
    if not shares:
        return {}
    floors = {key: (value // unit) * unit for key, value in shares.items()}
    left = int((total - sum(floors.values())) / unit)
    order = sorted(shares, key=lambda key: -(shares[key] - floors[key]))
    for key in order[:max(left, 0)]:
        floors[key] += unit
    return floors


def line_weights(lines: Sequence[tuple[Hashable, str]], column: dict | None) -> dict[Hashable, Fraction]:
    """Exact weights of checklist lines: ``lines`` are (line key, function ID); ``column`` is the
    level's column of the skills weight table (``{"functions": {id: percent or None}}``). A function
    not assessed at the level (None, or absent) gives its lines 0. Without a column, every line weighs
    the same."""
    per_function: dict[str, int] = {}
    for _, function in lines:
        per_function[function] = per_function.get(function, 0) + 1
    if column is None:
        return {key: Fraction(100, len(lines)) for key, _ in lines} if lines else {}
    weights = column.get("functions") or {}
    return {key: Fraction(weights.get(function) or 0, per_function[function]) for key, function in lines}


def shown_weights(exact: Mapping[Hashable, Fraction], decimals: int = 1) -> dict[Hashable, Fraction]:
    """The weights as printed: ``decimals`` places, adding up to the same total as the exact ones."""
    total = sum(exact.values(), Fraction(0))
    unit = Fraction(1, 10 ** decimals)
    if total.denominator != 1 and (total / unit).denominator != 1:
        return {key: round(value / unit) * unit for key, value in exact.items()}
    return apportion(exact, total, unit)


def module_hours(module_weights: Mapping[Hashable, Fraction], hours: int) -> dict[Hashable, int]:
    """Whole hours per module, in proportion to the modules' weights, adding up to ``hours``."""
    total = sum(module_weights.values(), Fraction(0))
    if not module_weights:
        return {}
    if total == 0:  # nothing weighted: the hours go equally
        module_weights = {key: Fraction(1) for key in module_weights}
        total = Fraction(len(module_weights))
    exact = {key: Fraction(hours) * value / total for key, value in module_weights.items()}
    return {key: int(value) for key, value in apportion(exact, Fraction(hours), Fraction(1)).items()}


def figure(value: Fraction, decimals: int = 1) -> str:
    """A shown figure: ``12.5``, ``20.0``."""
    return f"{float(value):.{decimals}f}"
