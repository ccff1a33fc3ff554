"""Mirrors of a segment's postings (registry.search.postings): written whole or not at all, read back
memory-mapped, and each document's value of a one-value field."""

from __future__ import annotations

import numpy as np
import pytest

from registry.search import postings as P
from registry.search import scoring as S

from .helpers import DOCS, evaluated, small_mirror


def test_a_mirror_written_and_read_back_is_the_same(tmp_path):
    mirror = small_mirror()
    P.write_mirror(mirror, tmp_path, "MAIN_x")
    again = P.read_mirror(tmp_path, "MAIN_x")
    assert again is not None and dict(again.terms.items()) == mirror.terms
    assert again.terms.get(("body", "absent")) is None and len(again.terms) == len(mirror.terms)
    assert not [f for f in tmp_path.iterdir() if f.name.endswith(".tmp")]  # no temporary file left
    for name in ("t_start", "t_scored", "docs", "weights", "p_start", "positions"):
        assert np.array_equal(getattr(again, name), getattr(mirror, name)), name
    assert np.array_equal(again.lengths["body"], mirror.lengths["body"])
    assert P.read_mirror(tmp_path, "MAIN_missing") is None
    for plan in (S.Term("body", "data"), S.Phrase("body", ("data", "cleaning"))):
        assert evaluated(plan, again)[0] == evaluated(plan, mirror)[0]


def test_a_mirror_that_fails_to_write_is_not_there_and_leaves_nothing_behind(tmp_path, monkeypatch):
    """A full disk in the middle of writing: no mirror for readers to find (its JSON is written
    last), and no temporary file left in the generation's folder."""
    real_save = np.save

    def fail_on_positions(handle, array, **kwargs):
        if "positions" in getattr(handle, "name", ""):
            raise OSError(28, "No space left on device")
        return real_save(handle, array, **kwargs)

    monkeypatch.setattr(P.np, "save", fail_on_positions)
    with pytest.raises(OSError):
        P.write_mirror(small_mirror(), tmp_path, "MAIN_x")
    assert P.read_mirror(tmp_path, "MAIN_x") is None
    assert not [f.name for f in tmp_path.iterdir() if f.name.startswith(".")]


@pytest.mark.parametrize("written", [False, True], ids=["in-memory", "memory-mapped"])
def test_each_document_has_the_number_of_its_version(tmp_path, written):
    mirror = small_mirror()
    if written:
        P.write_mirror(mirror, tmp_path, "MAIN_x")
        mirror = P.read_mirror(tmp_path, "MAIN_x")
    codes, values = mirror.value_codes("vid")
    assert sorted(values) == sorted({d["vid"] for d in DOCS})
    assert [values[d["vid"]] for d in DOCS] == codes.tolist()
    assert mirror.value_codes("vid")[0] is codes  # worked out once
    nothing, none = mirror.value_codes("absent")
    assert none == {} and set(nothing.tolist()) == {-1}


def test_the_documents_of_a_set_of_versions_are_worked_out_once_per_set():
    mirror = small_mirror()
    versions = frozenset({"A@1.0", "B@2.0", "C@9.9"})
    mask = mirror.members("vid", versions)
    assert np.flatnonzero(mask).tolist() == [n for n, d in enumerate(DOCS) if d["vid"] in versions]
    assert mirror.members("vid", frozenset(versions)) is mask and not mask.flags.writeable
    assert not mirror.members("vid", frozenset()).any()
