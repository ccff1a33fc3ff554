"""The ``registry`` command line.

Commands import what they need when they run: ``registry validate`` must start fast and never
load the web, database or PDF stacks.
"""

from __future__ import annotations

import sys

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="occupational-standards-registry", prog_name="registry")
def main() -> None:
    """Occupational standards registry: validate, load, serve and export national occupational standards."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True))
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per problem, file:line:column: RULE-or-$.json.path: message; json: for machines.")
@click.option("--no-path-check", is_flag=True,
              help="Do not require files to live at <code>/<version>.yaml (for drafts kept elsewhere).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for large batches [default: one per core].")
def validate(paths: tuple[str, ...], output_format: str, no_path_check: bool, jobs: int | None) -> None:
    """Check standards (files or folders) and report every problem in every file.

    Exit status: 0 when all are valid, 1 when any is invalid, 2 on usage errors.
    """
    from .reporting import REPORTERS
    from .validate import validate_paths

    reporter = REPORTERS[output_format](sys.stdout, sys.stderr)
    files, invalid, _ = reporter.report(validate_paths(paths, check_path=not no_path_check, jobs=jobs))
    if files == 0:
        click.echo("no YAML files found", err=True)
        sys.exit(2)
    sys.exit(1 if invalid else 0)


@main.command("rules")
def list_rules() -> None:
    """List the rules beyond the schema, with their IDs."""
    from .rules import RULES

    for rule_id, (_, description) in RULES.items():
        click.echo(f"{rule_id:20} {description}")


@main.command("list")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True))
def list_standards(paths: tuple[str, ...]) -> None:
    """List the standards in files or folders (code, version, type, levels, title)."""
    from .documents import summary
    from .validate import iter_yaml_files, validate_file

    for name in iter_yaml_files(paths):
        report = validate_file(name)
        if report.document is None:
            click.echo(f"{name}: cannot be read ({len(report.issues)} problem(s)); run registry validate", err=True)
            continue
        s = summary(report.document.data)
        mark = "" if report.valid else "  [INVALID]"
        click.echo(f"{s['code']:11} {s['version']:5} {s['type']:15} {','.join(s['levels']):28} "
                   f"{s['title']} | {s['title_translated']}{mark}")
