"""``registry lint`` and ``registry translations`` (attached to ``registry.cli.main``).

Only click is imported here: the commands import the linter when they run, so ``registry lint FILE``
starts as fast as ``registry validate``.
"""

from __future__ import annotations

import sys

import click

SEVERITY_CHOICES = ["error", "warning", "info", "never"]


def _rule_ids(values: tuple[str, ...]) -> frozenset[str]:
    """``--ignore a,b --ignore c`` -> {a, b, c}; each must be a lint rule, a family, or ``validation``."""
    from .catalog import all_rules

    rules = all_rules()
    known = set(rules) | {r.family for r in rules.values()} | {"validation"}
    ids = frozenset(part.strip() for value in values for part in value.split(",") if part.strip())
    unknown = sorted(ids - known)
    if unknown:
        raise click.BadParameter(f"unknown rule or family: {', '.join(unknown)} (see registry lint --list-rules)")
    return ids


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True))
@click.option("--against", "against", multiple=True, type=click.Path(exists=True, dir_okay=True),
              help="Published standards (files or folders) to look for near-duplicate requirements in; repeatable.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: file:line:column: RULE: severity: message [fix: hint]; json: for machines.")
@click.option("--select", multiple=True, help="Run only these rules or families (comma-separated; repeatable).")
@click.option("--ignore", multiple=True, help="Skip these rules or families (comma-separated; repeatable).")
@click.option("--fail-on", type=click.Choice(SEVERITY_CHOICES), default="error", show_default=True,
              help="Exit with status 1 when a finding of this severity or worse is found.")
@click.option("--no-path-check", is_flag=True,
              help="Do not require files to live at <code>/<version>.yaml (for drafts kept elsewhere).")
@click.option("--list-rules", is_flag=True, help="List the lint rules (ID, severity, what they check) and exit.")
def lint(paths: tuple[str, ...], against: tuple[str, ...], output_format: str, select: tuple[str, ...],
         ignore: tuple[str, ...], fail_on: str, no_path_check: bool, list_rules: bool) -> None:
    """Check the quality of standards (files or folders): every problem of `registry validate`, then
    wording, near-duplicates, level progression, hours and weights, keywords and translations.

    Exit status: 0 when nothing reaches --fail-on, 1 otherwise, 2 on usage errors.
    """
    if list_rules:
        from .catalog import all_rules

        for rule in all_rules().values():
            click.echo(f"{rule.id:26} {rule.severity:8} {rule.family:13} {rule.summary}")
        return
    if not paths:
        raise click.UsageError("give at least one file or folder to lint")
    from ..reporting import REPORTERS
    from .run import Selection, corpus_from_paths, lint_paths, lint_summary

    selection = Selection(_rule_ids(select), _rule_ids(ignore))
    corpus = None
    if against:
        corpus, count, skipped = corpus_from_paths(against)
        note = f", {skipped} invalid file(s) left out" if skipped else ""
        click.echo(f"comparing with {corpus.size} requirements of {count} standard(s){note}", err=True)
    reporter = REPORTERS[output_format](sys.stdout, sys.stderr, lint_summary)
    files, failing, _ = reporter.report(lint_paths(paths, check_path=not no_path_check, corpus=corpus,
                                                   selection=selection, fail_on=fail_on))
    if files == 0:
        click.echo("no YAML files found", err=True)
        sys.exit(2)
    sys.exit(1 if failing else 0)


@click.group("translations")
def translations() -> None:
    """Translation stamps: which master text each translation translates, and which are stale."""


@translations.command("stamp")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--lang", "languages", multiple=True, help="Only these translation languages (repeatable).")
@click.option("--accept-stale", is_flag=True,
              help="Also re-stamp stale translations nobody edited (you checked that they still hold).")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
def stamp(files: tuple[str, ...], languages: tuple[str, ...], accept_stale: bool, dry_run: bool) -> None:
    """Record in each file which master text every translation translates.

    New translations and translations edited since their stamp are stamped; a stale translation
    nobody edited stays stale (re-translate it, or pass --accept-stale); stamps that stamp nothing
    are removed. Only the stamps change: comments, order and layout of the file are kept.
    Exit status 1 when a file cannot be stamped (it must be valid).
    """
    from pathlib import Path

    from ..stamp_writer import StampError, stamp_source

    failed = False
    for name in files:
        path = Path(name)
        try:
            result = stamp_source(path.read_bytes(), file=name, languages=languages or None,
                                  accept_stale=accept_stale)
        except StampError as error:
            click.echo(f"{name}: {error}", err=True)
            failed = True
            continue
        if result.changed and not dry_run:
            path.write_bytes(result.source)
        verb = "would stamp" if dry_run else "stamped"
        click.echo(f"{name}: {verb} {result.stamped} new, {result.refreshed} edited, left {result.left_stale} "
                   f"stale, removed {result.removed} orphan stamp(s)")
    sys.exit(1 if failed else 0)


@translations.command("status")
@click.argument("target")
@click.option("--list", "listing", type=click.Choice(["stale", "missing", "unstamped", "all"]), default="stale",
              show_default=True, help="Which texts to list after the coverage table.")
def status(target: str, listing: str) -> None:
    """Coverage per language and the stale translations of a standard: a FILE, or a CODE (CODE@VERSION)
    of the catalog (its version in force, else its latest)."""
    from .status_report import print_status

    sys.exit(print_status(target, listing))
