"""The one table of output formats (registry/exports/formats.py) and every reader of it: a format
added to the table and forgotten by a reader fails here."""

from __future__ import annotations

import re

from click.testing import CliRunner

from registry.cli import main
from registry.exports.formats import FORMATS, LEVEL, SOURCE_MAX_AGE, STANDING_MAX_AGE
from registry.exports.formats import VERSION as WHOLE

from ..conftest import RENDERED_ON_SQLITE

CODE, VERSION = "4-04-05-05", "2.0"
#: a level's files: /standards/{code}/{version}/levels/{LEVEL_KEY}{suffix}
LEVEL_KEY = "L3"


def of_scope(scope: str) -> dict:
    return {name: spec for name, spec in FORMATS.items() if spec.scope == scope}


def fetch(client, url):
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_the_standard_page_offers_every_format(client, corpus):
    page = client.get(f"/standards/{CODE}/{VERSION}").get_data(as_text=True)
    offered = dict(re.findall(rf'<a class="button" href="/standards/{CODE}/{re.escape(VERSION)}([.a-z]+)"[^>]*>([^<]+)</a>',
                              page))
    assert offered == {spec.suffix: spec.label for spec in of_scope(WHOLE).values()}


def test_the_level_page_offers_every_level_format(client, corpus):
    page = client.get(f"/standards/{CODE}/{VERSION}/levels/{LEVEL_KEY}").get_data(as_text=True)
    offered = dict(re.findall(rf'<a class="button" href="/standards/{CODE}/{re.escape(VERSION)}/levels/{LEVEL_KEY}'
                              rf'([/.a-z-]+)"[^>]*>([^<]+)</a>', page))
    assert offered == {spec.suffix: spec.label for spec in of_scope(LEVEL).values()}


def url_of(spec) -> str:
    return f"/standards/{CODE}/{VERSION}" + (f"/levels/{LEVEL_KEY}" if spec.scope == LEVEL else "") + spec.suffix


@RENDERED_ON_SQLITE
def test_every_format_downloads_with_the_tables_media_type_and_lifetime(client, corpus):
    for name, spec in FORMATS.items():
        response = fetch(client, url_of(spec))
        assert response.status_code == 200, name
        assert response.headers["Content-Type"] == spec.media_type, name
        assert response.headers["Cache-Control"] == f"public, max-age={spec.max_age}, immutable", name
        assert ("attachment" in response.headers["Content-Disposition"]) == (not spec.inline), name
        assert spec.max_age == (STANDING_MAX_AGE if spec.prints_standing else SOURCE_MAX_AGE)


def test_registry_export_takes_every_format():
    help_text = CliRunner().invoke(main, ["export", "--help"]).output
    choices = re.search(r"\[([a-z.|-]+)\]", help_text.replace("\n", "").replace(" ", "")).group(1).split("|")
    assert choices == list(FORMATS)


def test_a_suffix_names_exactly_one_format():
    from registry.levels import Scope
    from registry.services.exports import split_level_name, split_name

    for name, spec in of_scope(WHOLE).items():
        assert split_name(f"1.0{spec.suffix}") == ("1.0", name)
    for name, spec in of_scope(LEVEL).items():
        assert split_level_name(f"L3{spec.suffix}") == (Scope("L3"), name)
        assert split_level_name(f"junior/cv{spec.suffix}") == (Scope("junior", "cv"), name)
