"""``registry reindex`` (registry.search.cli)."""

from __future__ import annotations


def test_reindex_runs_through_the_registry_command(db_url, corpus, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from registry.cli import main
    from registry.search import SearchRequest
    from registry.search.service import open_index

    monkeypatch.setenv("REGISTRY_DATABASE_URL", db_url)
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path / "cli"))
    result = CliRunner().invoke(main, ["reindex", "--jobs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "search index rebuilt" in result.output and "2 process(es)" in result.output
    index = open_index(tmp_path / "cli" / "index")
    assert index.search(SearchRequest(q="数据清洗")).total > 0
    index.close()
