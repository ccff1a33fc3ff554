"""Bad YAML sent as a standard (threats.md sections B and C): each case is what is sent and the rule
the answer must name, at two entry points: POST /api/v1/validate (anyone: 200 with the problem listed)
and POST /api/v1/drafts (a body's token: 422 invalid_standard, nothing stored)."""

from __future__ import annotations

import pytest

from tests.api.conftest import SAMPLE, versioned

from .conftest import assert_refused, check_response, counts

BASE = versioned("1.2")


def replaced(old: bytes, new: bytes) -> bytes:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def field(name: str, value: bytes) -> bytes:
    """The sample with its top-level ``name`` set to ``value`` (the raw YAML text)."""
    lines = BASE.split(b"\n")
    for n, line in enumerate(lines):
        if line.startswith(name.encode() + b":"):
            end = n + 1
            while end < len(lines) and lines[end].startswith((b" ", b"-")) and not lines[end].startswith(b"- "):
                end += 1
            while end < len(lines) and lines[end].startswith(b"  "):
                end += 1
            return b"\n".join(lines[:n] + [name.encode() + b": " + value] + lines[end:])
    return BASE + b"\n" + name.encode() + b": " + value + b"\n"


LAUGHS = b"".join(b"%s: &%s [" % (bytes([c]), bytes([c])) + b", ".join([b"*%s" % bytes([c - 1])] * 9) + b"]\n"
                  for c in range(ord("b"), ord("j"))).replace(b"*a", b"lol")

# (case id, the bytes sent, the rule the answer must name)
CASES = [
    # 12. tags that would construct objects
    ("python-object-new", b"!!python/object/new:os.system [touch /tmp/pwned]\n", "yaml-tag"),
    ("python-object-apply", b"x: !!python/object/apply:subprocess.check_output [[id]]\n", "yaml-tag"),
    ("python-name", b"x: !!python/name:os.system\n", "yaml-tag"),
    ("python-module", b"x: !!python/module:os\n", "yaml-tag"),
    ("python-tuple", b"x: !!python/tuple [1, 2]\n", "yaml-tag"),
    ("binary-tag", b"x: !!binary aGVsbG8=\n", "yaml-tag"),
    ("set-tag", b"x: !!set {a, b}\n", "yaml-tag"),
    ("omap-tag", b"x: !!omap [a: 1]\n", "yaml-tag"),
    ("local-tag", b"x: !custom value\n", "yaml-tag"),
    ("tag-on-title", field("title", b"!!python/object:os.system {}"), "yaml-tag"),
    ("verbatim-tag", b"x: !<tag:yaml.org,2002:python/object:os.system> {}\n", "yaml-tag"),
    ("int-tag-on-text", field("edition", b"!!int twenty"), "yaml-tag"),
    # 13. anchors and aliases
    ("billion-laughs", b"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + LAUGHS, "yaml-alias"),
    ("one-anchor", b"a: &x 1\nb: *x\n", "yaml-alias"),
    ("anchor-on-mapping", field("title", b"&t {zh: a}"), "yaml-alias"),
    ("merge-key", b"a: {x: 1}\nb:\n  <<: {x: 2}\n", "yaml-merge-key"),
    ("alias-only", b"a: *undefined\n", "yaml-alias"),
    # 14. deep nesting
    ("nested-lists-300", b"\n".join(b"-  " * i for i in range(1, 300)), "yaml-root"),
    ("flow-brackets-10000", b"x: " + b"[" * 10000, "yaml-depth"),
    ("flow-braces-5000", b"x: " + b"{a: " * 5000, "yaml-depth"),
    ("nested-mappings-100", b"".join(b"  " * i + b"k%d:\n" % i for i in range(100)) + b"  " * 100 + b"v\n",
     "yaml-depth"),
    # 15. duplicate keys
    ("duplicate-title", BASE + b"\ntitle: B\n", "yaml-duplicate-key"),
    ("duplicate-quoted-unquoted", BASE + b'\n"code": "1-01-01-01"\n', "yaml-duplicate-key"),
    ("duplicate-nested", replaced(b"  master: zh\n", b"  master: zh\n  master: en\n"), "yaml-duplicate-key"),
    ("duplicate-single-quoted", BASE + b"\n'version': '9.9'\n", "yaml-duplicate-key"),
    ("duplicate-in-flow", b"x: {a: 1, a: 2}\n", "yaml-duplicate-key"),
    # 16. YAML 1.1 booleans where text is expected
    # (yes, off, y... stay the text typed: YAML 1.2; where a number is expected they are text, refused)
    *[(f"boolean-word-{word}-as-edition", field("edition", word.encode()), "schema.type") for word in
      ("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF")],
    *[(f"boolean-word-{word}-as-sector", field("sector", word.encode()), "schema.pattern") for word in
      ("No", "ON", "Off", "Y")],
    *[(f"boolean-{word}-as-sector", field("sector", word.encode()), "schema.type") for word in
      ("true", "False", "TRUE")],
    ("boolean-code", field("code", b"true"), "schema.type"),
    ("boolean-version", field("version", b"yes"), "schema.pattern"),
    # 17. numbers that would silently change
    ("version-float", field("version", b"1.10"), "schema.type"),
    ("code-octal", field("code", b"0755"), "yaml-ambiguous-number"),
    ("code-sexagesimal", field("code", b"1:20"), "yaml-ambiguous-number"),
    ("version-exponent", field("version", b"1e3"), "yaml-ambiguous-number"),
    ("version-inf", field("version", b".inf"), "yaml-ambiguous-number"),
    ("version-nan", field("version", b".nan"), "yaml-ambiguous-number"),
    ("code-octal-0o", field("code", b"0o17"), "yaml-ambiguous-number"),
    ("code-hex", field("code", b"0x1F"), "yaml-ambiguous-number"),
    ("code-integer", field("code", b"20238"), "schema.type"),
    ("edition-huge-integer", field("edition", b"9" * 5000), "yaml-number"),
    ("edition-65-digits", field("edition", b"1" * 65), "yaml-number"),
    ("edition-negative-huge", field("edition", b"-" + b"9" * 4400), "yaml-number"),
    ("edition-float", field("edition", b"2022.5"), "schema.type"),
    # 18. dates
    ("date-feb-30", b"schema_version: '1.0'\nvalid_from: 2024-02-30\n", "schema.additionalProperties"),
    ("date-zero", b"x: 0000-00-00\n", "schema.additionalProperties"),
    ("date-month-13", b"x: 2024-13-01\n", "schema.additionalProperties"),
    # 19. wrong shape
    ("empty-file", b"", "yaml-empty"),
    ("only-comment", b"# nothing\n", "yaml-empty"),
    ("bare-scalar", b"hello\n", "yaml-root"),
    ("bare-number", b"42\n", "yaml-root"),
    ("top-level-list", b"- a\n- b\n", "yaml-root"),
    ("two-documents", BASE + b"\n---\n" + BASE, "yaml-documents"),
    ("tab-indent", b"title:\n\tzh: x\n", "yaml-syntax"),
    ("unclosed-quote", b'title: "abc\n', "yaml-syntax"),
    ("unclosed-flow", b"x: [1, 2\n", "yaml-syntax"),
    ("bad-indent", b"a:\n  b: 1\n c: 2\n", "yaml-syntax"),
    ("null-document", b"~\n", "yaml-root"),
    ("complex-key", b"? [a, b]\n: 1\n", "yaml-key"),
    ("integer-key", b"1: a\n", "yaml-key"),
    ("null-key", b"~: a\n", "yaml-key"),
    ("directive-yaml-1.1", b"%YAML 1.1\n---\na: 1\n", "schema.additionalProperties"),
    # 20. oversize within the upload limit
    ("100k-keys", b"".join(b"k%d: 1\n" % n for n in range(20000)), "too-many-problems"),
    ("long-scalar", field("sector", b"x" * 200_000), "schema.pattern"),
    ("long-list", b"keywords: [" + b"a, " * 60000 + b"a]\n", "schema.required"),
    # 21. encoding and control characters
    ("nul-escape", field("sector", b'"abc\\0def"'), "yaml-control-character"),
    ("raw-nul", b"x: abc\x00def\n", "yaml-control-character"),
    ("invalid-utf8", b"title: \xff\xfe bad\n", "yaml-encoding"),
    ("utf16-le-bom", "title: x\n".encode("utf-16"), "yaml-encoding"),
    ("utf16-be-bom", b"\xfe\xff" + "title: x\n".encode("utf-16-be"), "yaml-encoding"),
    ("lone-surrogate-escape", field("sector", b'"\\ud800"'), "yaml-syntax"),
    ("encoded-surrogate", b"x: \xed\xa0\x80\n", "yaml-encoding"),
    ("bell-escape", field("sector", b'"\\a"'), "yaml-control-character"),
    ("raw-escape-char", b"x: a\x1bb\n", "yaml-control-character"),
    ("overlong-utf8", b"x: \xc0\xaf\n", "yaml-encoding"),
    ("truncated-utf8", "x: 标".encode()[:-1], "yaml-encoding"),
    # C 22-25. schema: the document never chooses its schema; formats and wrong shapes
    ("ref-remote", BASE + b'\n"$ref": "http://169.254.169.254/latest"\n', "schema.additionalProperties"),
    ("ref-file", BASE + b'\n"$ref": "file:///etc/passwd"\n', "schema.additionalProperties"),
    ("schema-url", BASE + b'\n"$schema": "http://evil.example/s.json"\n', "schema.additionalProperties"),
    ("schema-version-unknown", replaced(b'schema_version: "1.0"', b'schema_version: "9.9"'), "schema.const"),
    ("schema-version-url", replaced(b'schema_version: "1.0"', b'schema_version: "http://x/"'), "schema.const"),
    ("code-redos", field("code", b'"' + b"a" * 30 + b'!"'), "schema.pattern"),
    ("code-traversal", field("code", b'"../../etc/passwd"'), "schema.pattern"),
    ("code-lowercase", field("code", b'"abc-123"'), "schema.pattern"),
    ("code-fullwidth", field("code", '"２-02-38-03"'.encode()), "schema.pattern"),
    ("code-hyphen-u2010", field("code", '"2‐02‐38‐03"'.encode()), "schema.pattern"),
    ("code-trailing-space", field("code", b'"2-02-38-03 "'), "schema.pattern"),
    ("version-traversal", field("version", b'"3/../../1"'), "schema.pattern"),
    ("missing-code", replaced(b'code: "2-02-38-03"\n', b""), "schema.required"),
    ("missing-title", field("title", b"~").replace(b"title: ~\n", b""), "schema.required"),
    ("title-list", field("title", b"[a, b]"), "schema.type"),
    ("title-number", field("title", b"42"), "schema.type"),
    ("unknown-field", BASE + b"\nsurprise: 1\n", "schema.additionalProperties"),
    ("standard-type-enum", field("standard_type", b"nonsense"), "schema.enum"),
    ("languages-master-bad", replaced(b"  master: zh\n", b"  master: klingon\n"), "master-language"),
]


def _rules(errors: list[dict]) -> set[str]:
    return {e["rule"] for e in errors}


@pytest.mark.parametrize("sent, rule", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validate_names_the_problem(bad_client, sent, rule):
    response = bad_client.post("/api/v1/validate", data=sent, headers={"Content-Type": "application/yaml"})
    check_response(response, sent=len(sent), authenticated=False)
    assert response.status_code == 200
    report = response.get_json()
    assert report["valid"] is False and rule in _rules(report["errors"]), report["errors"][:5]


@pytest.mark.parametrize("sent, rule", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_draft_of_it_is_refused_and_nothing_is_stored(bad_app, bad_client, body_token, sent, rule):
    before = counts(bad_app)
    response = bad_client.post("/api/v1/drafts", data=sent, headers={**body_token, "Content-Type": "application/yaml"})
    check_response(response, sent=len(sent), authenticated=True)
    error = assert_refused(response, 422, "invalid_standard")
    assert rule in {d["rule"] for d in error["details"]}, error["details"][:5]
    assert counts(bad_app) == before


def test_the_sample_itself_is_valid(bad_client):
    response = bad_client.post("/api/v1/validate", data=SAMPLE.read_bytes(), headers={"Content-Type": "application/yaml"})
    assert response.get_json() == {"valid": True, "errors": []}
