"""`registry lint` as standards bodies run it, the corpus index, and POST /api/v1/lint."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from registry.cli import main
from registry.lint.run import corpus_from_paths
from registry.lint.similarity import Occurrence, naive_matches, normalize
from registry.lint.walk import requirements
from registry.validate import iter_yaml_files, validate_file

from ..conftest import STANDARDS, VALID
from .helpers import EXAMPLE

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<rule>\S+): "
                  r"(?P<severity>error|warning|info): (?P<message>.+) \[fix: (?P<hint>.+)\]$")


def run(*args: str):
    return CliRunner().invoke(main, ["lint", *args], catch_exceptions=False)


@pytest.fixture
def draft(tmp_path):
    path = tmp_path / "draft.yaml"
    path.write_bytes(EXAMPLE.replace("能根据需求选择传感器。".encode(), "传感器选型。".encode()))
    return path


def test_text_lines_and_summary(draft):
    result = run("--no-path-check", str(draft))
    assert result.exit_code == 0  # warnings do not fail by default
    lines = [LINE.match(line) for line in result.stdout.splitlines()]
    assert lines and all(lines)
    wording = next(m for m in lines if m["rule"] == "ability-wording")
    assert (wording["file"], wording["severity"]) == (str(draft), "warning")
    line = draft.read_text(encoding="utf-8").splitlines()[int(wording["line"]) - 1]
    assert line[int(wording["column"]) - 1:].startswith("传感器选型。")  # the Chinese text itself
    assert result.stderr == "1 file linted: 0 errors, 1 warning, 1 info\n"


def test_fail_on_select_ignore_and_json(draft):
    assert run("--no-path-check", "--fail-on", "warning", str(draft)).exit_code == 1
    assert run("--no-path-check", "--fail-on", "warning", "--ignore", "wording", str(draft)).exit_code == 0
    result = run("--no-path-check", "--format", "json", "--select", "ability-wording", str(draft))
    body = json.loads(result.stdout)
    (report,) = body["files"]
    assert body["valid"] and report["counts"] == {"error": 0, "warning": 1, "info": 0}
    (finding,) = report["findings"]
    assert finding["rule"] == "ability-wording" and finding["hint"] and finding["related"] is None
    assert run("--ignore", "no-such-rule", str(draft)).exit_code == 2


def test_invalid_documents_fail_with_the_validators_messages(tmp_path):
    path = tmp_path / "2-02-38-02" / "1.0.yaml"
    path.parent.mkdir()
    path.write_bytes(EXAMPLE.replace(b"F-sensing: 40", b"F-sensing: 41"))
    result = run(str(path))
    assert result.exit_code == 1 and ": weights-sum: error: " in result.stdout


def test_against_a_folder_finds_near_duplicates_in_other_standards():
    target = STANDARDS / "2-02-38-06" / "1.0.yaml"
    result = run("--against", str(STANDARDS), "--select", "duplicate-in-registry", str(target))
    assert result.exit_code == 0 and "comparing with" in result.stderr
    assert "near-duplicate (score 92) of 2-02-38-09 1.0 R-S-training-teach-3" in result.stdout


def test_list_rules():
    result = CliRunner().invoke(main, ["lint", "--list-rules"])
    assert result.exit_code == 0 and "ability-wording" in result.stdout and "translation-stale" in result.stdout


def test_lint_stays_light():
    """No web, database or PDF stack, and no numpy without --against: `registry lint FILE` starts fast."""
    code = (
        "import sys\n"
        "from registry.cli import main\n"
        "try:\n"
        f"    main(['lint', {str(VALID / 'example.yaml')!r}, '--no-path-check'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'werkzeug', 'sqlalchemy', 'sqlmodel', 'weasyprint', 'whoosh', 'jinja2', 'psycopg', 'numpy', "
        "'jieba'})\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_the_index_finds_what_the_all_pairs_comparison_finds():
    corpus, _, _ = corpus_from_paths([STANDARDS])
    rows = []
    for name in iter_yaml_files([STANDARDS]):
        doc = validate_file(name).document.data
        rows += [(normalize(r.master_text), Occurrence(doc["code"], doc["version"], r.item_id, r.master_text, r.level,
                                                       r.direction, name, "")) for r in requirements(doc)]
    rng = random.Random(7)
    queries = [text for text, _ in rng.sample(rows, 60)]
    queries += [q[:-1] + "并记录" for q in queries[:20]] + [q[1:] for q in queries[20:40]]  # near, not equal
    for cutoff in (70.0, 90.0):
        fast = corpus.query(queries, "zh", exclude_code="2-02-38-02", cutoff=cutoff)
        slow = naive_matches(queries, rows, exclude_code="2-02-38-02", cutoff=cutoff)
        assert [[(m.occurrence.code, m.occurrence.item_id, m.score) for m in found] for found in fast] == \
               [[(m.occurrence.code, m.occurrence.item_id, m.score) for m in found] for found in slow]
    assert sum(len(found) for found in fast) > len(queries)


def test_api_lint(client, corpus):
    source = (STANDARDS / "2-02-38-06" / "1.0.yaml").read_bytes()
    response = client.post("/api/v1/lint", data=source, content_type="application/yaml")
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is True and body["counts"]["info"] >= 1
    (dup,) = [f for f in body["findings"] if f["rule"] == "duplicate-in-registry"]
    assert dup["related"]["code"] == "2-02-38-09" and dup["related"]["score"] == 92.3 and dup["line"] > 1
    assert client.post("/api/v1/lint", data=b"a: [", content_type="application/yaml").get_json()["valid"] is False
    assert client.post("/api/v1/lint", data=b"{}", content_type="application/json").status_code == 415
