"""`registry user add`: accounts for people."""

from __future__ import annotations

from click.testing import CliRunner

from registry.cli import main


def test_user_add_generates_or_reads_a_password(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    def registry(*args: str, **kwargs):
        """`registry ARGS`, as a user runs it: through the top-level command."""
        return runner.invoke(main, list(args), **kwargs)

    assert registry("body", "add", "body-a", "Body A", catch_exceptions=False).exit_code == 0
    made = registry("user", "add", "a@body-a.example", "--body", "body-a", "--generate-password",
                    catch_exceptions=False)
    assert made.exit_code == 0 and len(made.stdout.strip()) >= 12
    typed = registry("user", "add", "r@registry.example", "--registrar",
                     input="long enough secret\nlong enough secret\n", catch_exceptions=False)
    assert typed.exit_code == 0
    again = registry("user", "add", "r@registry.example", "--registrar", "--generate-password")
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert registry("user", "add", "x@y.example").exit_code == 2  # neither --body nor --registrar
    assert "user" in registry("--help").stdout
