"""Every failure kind has an invalid example in tests/data/invalid/, and each is reported exactly.

Each case is the valid example with one defect. The expectation lives next to the document, in
its leading comments::

    # yaml-language-server: $schema=../../../schemas/standard-1.0.json
    # expect: <rule> <json-path> line <N>      (one line per issue the validator must report)
    # file: <code>/<version>.yaml              (optional: validate as if stored at this path)
    # defect: <what is wrong>

Without a ``# file:`` line the document is validated without a file name (no path check).
A case that cannot carry comments (the empty file) keeps them in a sidecar ``<name>.expect``;
a UTF-16 case carries them in UTF-16 and is decoded here only to read them.

The test asserts that the set of (rule, path, line) reported is exactly the expected one, that
every issue has a place and a message, and that every rule of :data:`registry.rules.RULES` has at
least one invalid example (adding a rule without one fails the suite).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registry.rules import RULES
from registry.validate import validate_bytes

from .conftest import INVALID

EXPECT = re.compile(r"^# expect: (?P<rule>\S+) (?P<path>\S.*?) line (?P<line>[0-9]+)\s*$")
FILE = re.compile(r"^# file: (?P<file>\S+)\s*$")
CASES = sorted(INVALID.glob("*.yaml"))
PWNED = Path("/tmp/pwned-registry-test")  # what yaml-python-object-apply.yaml tries to create


def header_text(case: Path) -> str:
    """The text that holds a case's expectations: its sidecar, or the file itself."""
    sidecar = case.with_suffix(".expect")
    if sidecar.exists():
        return sidecar.read_text(encoding="utf-8")
    data = case.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8", errors="replace")  # a not-UTF-8 case keeps its comments in ASCII


def expectations(case: Path) -> tuple[set[tuple[str, str, int]], str | None]:
    expected: set[tuple[str, str, int]] = set()
    file = None
    for line in header_text(case).splitlines():
        if not line.startswith("#"):
            break
        if match := EXPECT.match(line):
            expected.add((match["rule"], match["path"], int(match["line"])))
        elif match := FILE.match(line):
            file = match["file"]
    return expected, file


def test_there_are_enough_invalid_examples():
    assert len(CASES) >= 40


def test_every_case_states_its_expectation():
    for case in CASES:
        expected, _ = expectations(case)
        assert expected, f"{case.name} has no '# expect:' line"


def test_every_case_starts_with_the_schema_comment():
    for case in CASES:
        if case.with_suffix(".expect").exists():
            continue
        first = header_text(case).splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../../schemas/standard-1.0.json", case.name
        second = header_text(case).splitlines()[1]
        assert EXPECT.match(second), f"{case.name}: the second line must be an '# expect:' line"


def test_every_rule_has_an_invalid_example():
    covered = {rule for case in CASES for rule, _, _ in expectations(case)[0]}
    missing = sorted(set(RULES) - covered)
    assert not missing, f"rules without an invalid example in {INVALID}: {missing}"


def test_every_sidecar_belongs_to_a_case():
    for sidecar in INVALID.glob("*.expect"):
        assert sidecar.with_suffix(".yaml").exists(), sidecar.name


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_example(case: Path):
    expected, file = expectations(case)
    existed = PWNED.exists()
    if existed:
        PWNED.unlink()  # left by something else; it must not come back
    report = validate_bytes(case.read_bytes(), file=file, check_path=file is not None)
    assert not PWNED.exists(), "validation ran code from a YAML tag"

    assert not report.valid
    for issue in report.issues:
        assert issue.line is not None and issue.column is not None, issue
        assert issue.line >= 1 and issue.column >= 1, issue
        assert issue.message and issue.message.strip(), issue
        assert issue.file == file, issue
    got = {(issue.rule, issue.path, issue.line) for issue in report.issues}
    assert got == expected, "\n".join(f"{i.rule} {i.path} line {i.line}:{i.column}: {i.message}"
                                      for i in report.issues)
    assert len(report.issues) == len(expected), "an issue is reported twice"


def test_oversized_input_is_refused_before_parsing():
    """The size limit has no file of its own: a 4 MB fixture would be silly."""
    data = b"title: x\n" + b"#" * (4 * 1024 * 1024)
    report = validate_bytes(data)
    assert [i.rule for i in report.issues] == ["yaml-size"]


def test_very_deep_nesting_does_not_exhaust_the_stack():
    """1100 nested block mappings (generated, not stored): refused at the depth limit, no RecursionError."""
    text = "".join(f"{'  ' * n}k{n}:\n" for n in range(1100)) + f"{'  ' * 1100}leaf\n"
    report = validate_bytes(text.encode())
    assert [i.rule for i in report.issues] == ["yaml-depth"]
    assert report.issues[0].line == 65
