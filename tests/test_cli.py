"""`registry validate` as standards bodies run it."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from registry.cli import main

from .conftest import STANDARDS, VALID

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<where>\S+): (?P<message>.+)$")


def run(*args: str):
    return CliRunner().invoke(main, ["validate", *args], catch_exceptions=False)


@pytest.fixture
def broken(tmp_path, example_bytes):
    """Two invalid files and one valid one, in a corpus layout."""
    root = tmp_path / "corpus" / "2-02-38-02"
    root.mkdir(parents=True)
    (root / "1.0.yaml").write_bytes(example_bytes)
    (root / "2.0.yaml").write_bytes(example_bytes.replace(b'\nversion: "1.0"', b'\nversion: "2.0"')
                                    .replace(b"F-sensing: 40", b"F-sensing: 41")
                                    .replace(b"edition: 2021", b"edition: twenty"))
    (root / "3.0.yaml").write_bytes(example_bytes.replace(b'\nversion: "1.0"', b'\nversion: "3.0"')
                                    .replace(b"edition: 2021", b"edition: 2021\nedition: 2022"))
    return tmp_path / "corpus"


def test_valid_corpus_exits_0():
    result = run(str(STANDARDS))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_every_problem_in_every_file_is_reported(broken):
    result = run(str(broken))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines
    found = {(m["file"].rsplit("/", 2)[-2] + "/" + m["file"].rsplit("/", 1)[-1], m["where"]) for m in parsed}
    assert found == {
        ("2-02-38-02/2.0.yaml", "$.edition"),
        ("2-02-38-02/2.0.yaml", "weights-sum"),
        ("2-02-38-02/3.0.yaml", "yaml-duplicate-key"),
    }
    assert "3 files checked: 2 invalid, 3 problems" in result.stderr


def test_json_format_for_machines(broken):
    result = run("--format", "json", str(broken))
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["valid"] is False
    by_file = {f["file"].rsplit("/", 1)[-1]: f for f in payload["files"]}
    assert by_file["1.0.yaml"]["valid"] is True
    error = by_file["3.0.yaml"]["errors"][0]
    assert set(error) >= {"line", "column", "path", "rule", "message"}
    lines = (broken / "2-02-38-02" / "3.0.yaml").read_text("utf-8").splitlines()
    second = [n for n, line in enumerate(lines, 1) if line.startswith("edition:")][1]
    assert (error["line"], error["column"], error["rule"]) == (second, 1, "yaml-duplicate-key")


def test_path_check_and_its_opt_out(tmp_path, example_bytes):
    draft = tmp_path / "my-draft.yaml"
    draft.write_bytes(example_bytes)
    assert run(str(draft)).exit_code == 1
    assert run("--no-path-check", str(draft)).exit_code == 0


def test_usage_errors_exit_2(tmp_path):
    assert run(str(tmp_path / "missing.yaml")).exit_code == 2
    assert CliRunner().invoke(main, ["validate"]).exit_code == 2
    (tmp_path / "empty").mkdir()
    assert run(str(tmp_path / "empty")).exit_code == 2


def test_parallel_and_serial_report_the_same(broken, monkeypatch):
    import registry.validate as validate

    monkeypatch.setattr(validate, "PARALLEL_THRESHOLD", 1)
    parallel = run("--jobs", "2", "--format", "json", str(broken)).stdout
    serial = run("--jobs", "1", "--format", "json", str(broken)).stdout
    assert json.loads(parallel) == json.loads(serial)


def test_validate_does_not_import_web_database_or_pdf_stacks():
    code = (
        "import sys\n"
        "from registry.cli import main\n"
        "try:\n"
        f"    main(['validate', {str(VALID / 'example.yaml')!r}, '--no-path-check'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'werkzeug', 'sqlalchemy', 'sqlmodel', 'weasyprint', 'whoosh', 'jinja2', 'psycopg'})\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_list_shows_every_standard():
    result = CliRunner().invoke(main, ["list", str(STANDARDS)], catch_exceptions=False)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == len(list(STANDARDS.rglob("*.yaml")))
    assert "4-04-05-05" in result.stdout


def test_precommit_hook_runs_the_same_validator():
    import yaml

    from .conftest import ROOT

    listed = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for hook in listed}
    assert set(hooks) == {"validate-standards", "lint-standards"}
    assert hooks["validate-standards"]["entry"] == "registry validate"
    assert hooks["lint-standards"]["entry"] == "registry lint"
    assert {hook["language"] for hook in hooks.values()} == {"python"}


def test_precommit_hook_checks_standards_and_leaves_other_yaml_alone():
    """In a standards body's repository the hook must not fail on CI workflows or unrelated YAML."""
    import re

    import yaml

    from .conftest import ROOT

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert len({hook["files"] for hook in hooks}) == 1  # the validator and the linter read the same files
    files = re.compile(hooks[0]["files"])
    corpus = [str(p.relative_to(ROOT)) for p in STANDARDS.rglob("*.yaml")]
    assert corpus and all(files.search(p) for p in corpus)
    assert files.search("4-04-05-05/1.0.yaml")
    for other in (".github/workflows/ci.yaml", ".pre-commit-config.yaml", "docs/notes.yaml", "drafts/new.yaml"):
        assert not files.search(other), other
