"""What `registry validate` and `registry lint` print: one line per problem that an editor can jump
to, a summary on standard error, and JSON that a pipeline can read back."""

from __future__ import annotations

import io
import json
from pathlib import Path

from registry.reporting import REPORTERS, format_issue_line
from registry.validate import validate_file

from .conftest import STANDARDS

INVALID = Path(__file__).parent / "data" / "invalid"


def reports(*paths: Path):
    return [validate_file(p, check_path=False) for p in paths]


def printed(kind: str, found) -> tuple[str, str, tuple[int, int, int]]:
    out, err = io.StringIO(), io.StringIO()
    counts = REPORTERS[kind](out, err).report(found)
    return out.getvalue(), err.getvalue(), counts


def test_a_problem_is_one_line_with_file_line_column_rule_and_message():
    report = validate_file(INVALID / "rule-date-order.yaml", check_path=False)
    (issue,) = report.issues
    line = format_issue_line(issue)
    file, row, column, rule, message = line.split(":", 4)
    assert file.endswith("rule-date-order.yaml") and row == "37" and column.isdigit()
    assert rule == " date-order" and "effective_until" in message


def test_a_schema_problem_names_the_json_path_instead_of_a_rule():
    broken = next(p for p in sorted(INVALID.glob("schema-*.yaml")))
    report = validate_file(broken, check_path=False)
    assert report.issues
    for issue in report.issues:
        assert format_issue_line(issue).split(": ")[1].startswith("$")


def test_text_report_prints_every_problem_and_a_summary_of_files():
    valid = STANDARDS / "4-04-05-05" / "2.0.yaml"
    bad = [INVALID / "rule-date-order.yaml", INVALID / "rule-level-order.yaml"]
    found = reports(valid, *bad)
    out, err, (files, invalid, problems) = printed("text", found)
    assert (files, invalid) == (3, 2) and problems == sum(len(r.issues) for r in found) >= 2
    assert len(out.splitlines()) == problems
    assert err.strip() == f"3 files checked: 2 invalid, {problems} problems"


def test_text_summary_of_one_valid_file_is_singular():
    _out, err, counts = printed("text", reports(STANDARDS / "4-04-05-05" / "1.0.yaml"))
    assert err.strip() == "1 file checked: all valid" and counts == (1, 0, 0)


def test_json_report_reads_back_as_what_was_found():
    found = reports(STANDARDS / "4-04-05-05" / "2.0.yaml", INVALID / "rule-date-order.yaml")
    out, err, counts = printed("json", found)
    data = json.loads(out)
    assert data["valid"] is False and err == ""
    assert [f["valid"] for f in data["files"]] == [True, False]
    assert data["files"][1] == found[1].to_dict()
    assert counts == (2, 1, len(found[1].issues))
