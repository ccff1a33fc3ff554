""" "Did you mean" (registry.search.suggest)."""

from __future__ import annotations

import pytest

from .helpers import search


def test_did_you_mean_for_a_misspelled_english_word(sclient, corpus):
    result = search(sclient, q="data anotation")
    assert result["suggestion"] == "data annotation"
    assert search(sclient, q="data annotation")["suggestion"] is None
    assert search(sclient, q="calibraton")["suggestion"] == "calibration"
    # two words one edit away (dma, data): the more frequent one
    assert search(sclient, q="dta")["suggestion"] == "data"


@pytest.mark.parametrize("q, never", [("foo data", "for data"), ("thee data", "the data"), ("title:foo", "titles")])
def test_did_you_mean_never_offers_stop_words_or_field_names_and_only_what_finds_something(sclient, corpus, q, never):
    suggestion = search(sclient, q=q)["suggestion"]
    if suggestion is not None:
        assert never not in suggestion
        assert search(sclient, q=suggestion)["total"] > 0
    assert search(sclient, q="zzyzx qwvbn")["suggestion"] is None
