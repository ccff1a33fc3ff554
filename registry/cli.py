"""The ``registry`` command line.

Commands import what they need when they run: ``registry validate`` must start fast and never
load the web, database or PDF stacks.
"""

from __future__ import annotations

import sys

import click

from .cli_support import catalog_engine as _engine
from .cli_support import registry_clock as _clock
from .exports.formats import FORMATS  # the one table of formats; light: renderers load when used


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


# --- the catalog -------------------------------------------------------------------------------


def _fail(error) -> None:
    click.echo(f"error: {error.message}", err=True)
    sys.exit(1)


@main.group()
def db() -> None:
    """The catalog database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the catalog's migrations (safe to run from several processes at once)."""
    _engine(migrate=True)
    click.echo("catalog is up to date")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True))
def load(paths: tuple[str, ...]) -> None:
    """Publish every standard under PATHS (default: REGISTRY_STANDARDS_DIR) into the catalog.

    Idempotent: files already published with the same bytes change nothing; different bytes under
    a published version are refused, with what differs. Exit status 1 when anything was refused.
    """
    from .config import load_config
    from .services.catalog import load_corpus

    config = load_config()
    outcomes = load_corpus(_engine(), paths or (config["STANDARDS_DIR"],))
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if outcome.status in ("invalid", "refused"):
            click.echo(f"{outcome.file}: {outcome.status}: {outcome.message}", err=True)
            if outcome.status == "refused" and isinstance(outcome.details, dict):
                for key, value in outcome.details.items():
                    click.echo(f"    {key}: {value}", err=True)
    click.echo(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing to load")
    sys.exit(1 if counts.get("invalid") or counts.get("refused") else 0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="gunicorn workers [default: one per core]")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="threads per worker: a request waiting for a PDF render holds one thread, not its worker")
@click.option("--dev", is_flag=True, help="Flask's development server with the reloader, instead of gunicorn.")
@click.option("--no-load", is_flag=True, help="Do not load REGISTRY_STANDARDS_DIR before serving.")
def serve(host: str, port: int, workers: int | None, threads: int, dev: bool, no_load: bool) -> None:
    """Migrate the catalog, load the corpus, and serve the registry over HTTP."""
    import os

    from .config import load_config

    if dev:
        _serve_dev(host, port, load=not no_load)
        return
    _prepare_catalog(load=not no_load)
    workers = workers or os.cpu_count() or 1
    # a PDF render may take REGISTRY_RENDER_TIMEOUT (then 422): gunicorn must not kill the worker first
    timeout = max(60, int(load_config()["RENDER_TIMEOUT"]) + 30)
    # registry.serving is also gunicorn's configuration: its hook prints the addresses once ready
    # threaded workers (gunicorn's gthread): a render waits on its worker's render child (one render at a
    # time per worker, the others queue), so with sync workers two renders held every worker and every
    # page waited behind them; the searchers, sessions and render child are safe across threads
    argv = ["gunicorn", "--config", "python:registry.serving", "--workers", str(workers), "--threads", str(threads),
            "--bind", f"{host}:{port}", "--access-logfile", "-", "--timeout", str(timeout), "registry:create_app()"]
    click.echo(f"serve: starting gunicorn on http://{host}:{port} with {workers} worker(s) of {threads} "
               f"thread(s)...", err=True)
    os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606 - this interpreter, fixed arguments


def _prepare_catalog(load: bool) -> None:
    """Migrate the catalog, load REGISTRY_STANDARDS_DIR into it (unless told not to), build the index."""
    from .serving import prepare_catalog

    engine = _engine(migrate=False)  # prepare_catalog migrates, saying so
    prepare_catalog(engine, load)
    engine.dispose()  # the serving processes open their own connections


def _serve_dev(host: str, port: int, load: bool) -> None:
    """Flask's development server with the reloader.

    The reloader runs this command twice: a parent that only watches files and restarts a child,
    and the child that serves (and is restarted on every change). The catalog is prepared once, in
    the parent; only the child builds the app (and its warm PDF renderer).
    """
    from werkzeug.serving import is_running_from_reloader, run_simple

    if is_running_from_reloader():
        from . import create_app

        app = create_app()
        app.debug = True
    else:
        _prepare_catalog(load)
        app = _watching_only
    run_simple(host, port, app, use_reloader=True, use_debugger=True, threaded=True)


def _watching_only(environ, start_response):  # pragma: no cover - the reloader parent never serves
    raise RuntimeError("the reloader's parent process does not serve requests")


# --- administration ----------------------------------------------------------------------------


@main.group()
def body() -> None:
    """Standards bodies."""


@body.command("add")
@click.argument("body_id")
@click.argument("name")
def body_add(body_id: str, name: str) -> None:
    """Register a standards body (ID is a short slug, NAME its full name)."""
    from .db import write_session
    from .errors import RegistryError
    from .services.accounts import add_body

    try:
        with write_session(_engine()) as session:
            add_body(session, body_id, name)
    except RegistryError as error:
        _fail(error)
    click.echo(f"body {body_id} added")


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.option("--body", "body_id", help="A token for this body's members (create drafts, submit).")
@click.option("--registrar", help="A token for this registrar (review, approve, publish, withdraw).")
def token_create(body_id: str | None, registrar: str | None) -> None:
    """Create a token and print it once on stdout (only its hash is stored)."""
    from .db import write_session
    from .errors import RegistryError
    from .services.accounts import create_token

    if (body_id is None) == (registrar is None):
        raise click.UsageError("give exactly one of --body and --registrar")
    try:
        with write_session(_engine()) as session:
            secret, row = create_token(session, body_id=body_id, registrar=registrar)
            token_id = row.id
    except RegistryError as error:
        _fail(error)
    click.echo(secret)
    click.echo(f"token {token_id} created; it is shown only this once", err=True)


@token.command("revoke")
@click.argument("token")
def token_revoke(token: str) -> None:
    """Revoke a token, given whole, by its id, or by the prefix (osr_<public id>) `registry token list` shows."""
    from .db import write_session
    from .errors import RegistryError
    from .services.accounts import revoke_token

    try:
        with write_session(_engine()) as session:
            row = revoke_token(session, token)
            token_id = row.id
    except RegistryError as error:
        _fail(error)
    click.echo(f"token {token_id} revoked")


@token.command("list")
def token_list() -> None:
    """List tokens (id, public prefix, account, state); never their secrets."""
    from .db import read_session
    from .services.accounts import list_tokens, token_label

    with read_session(_engine()) as session:
        for row, account in list_tokens(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
            click.echo(f"{row.id:5} {token_label(row):20} {account.name:30} {account.role:12} {state}")


# --- standards ----------------------------------------------------------------------------------


@main.group()
def standard() -> None:
    """Published standards."""


@standard.command("assign")
@click.argument("code")
@click.argument("body_id", metavar="BODY")
def standard_assign(code: str, body_id: str) -> None:
    """Make BODY the keeper of standard CODE: the one body whose drafts may change it (audited)."""
    from .db import write_session
    from .errors import RegistryError
    from .services.context import Actor
    from .services.stewardship import assign

    try:
        with write_session(_engine()) as session:
            assign(session, code, body_id, Actor("system:cli", "admin"))
    except RegistryError as error:
        _fail(error)
    click.echo(f"standard {code} is kept by {body_id}")


@standard.command("status")
@click.argument("code")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day to ask about [default: today in REGISTRY_TIMEZONE].")
def standard_status(code: str, as_of) -> None:
    """Every version of CODE with its standing today (or on --as-of), and the keeper."""
    from .db import read_session
    from .errors import RegistryError
    from .services.catalog import get_standard
    from .services.standing import history

    try:
        with read_session(_engine()) as session:
            keeper = get_standard(session, code).body_id
            hist = history(session, code, _clock(), as_of.date() if as_of else None)
    except RegistryError as error:
        _fail(error)
    current = hist.in_force()
    click.echo(f"{code} on {hist.day}: " + (f"version {current.version} in force" if current else
                                              "no version in force") + f"; kept by {keeper or 'nobody yet'}")
    for row in hist.rows:
        st = hist.standing(row.version)
        window = "never in force" if st.never_in_force else \
            f"{st.start or 'not stated'} .. {st.end or ''}"
        extra = f" -> {st.successor} from {st.superseded_from}" if st.successor and st.superseded_from else ""
        click.echo(f"  {row.version:7} {st.state:11} {window}{extra}")


# --- exports ------------------------------------------------------------------------------------


@main.command("export")
@click.option("--all", "everything", is_flag=True, help="Render every version in every format that is not cached yet.")
@click.option("--format", "formats", multiple=True, type=click.Choice(list(FORMATS)),
              help="Formats to render (repeatable) [default: every format of a whole version; the level files "
                   "(level.pdf, job-description.docx ...) for every level when named].")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Processes [default: one per core].")
def export(everything: bool, formats: tuple[str, ...], jobs: int | None) -> None:
    """Render exports into REGISTRY_EXPORTS_DIR, in parallel, skipping what is up to date.

    Failures do not stop the run: they are listed at the end (exit status 1).
    """
    from pathlib import Path

    from .config import load_config
    from .services.export_all import DEFAULT_FORMATS, export_all

    if not everything:
        raise click.UsageError("give --all (single versions are served and cached on request)")
    config = load_config()
    engine = _engine()
    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=f"rendering {total} export(s)", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    report = export_all(engine, Path(config["EXPORTS_DIR"]).resolve(), clock=_clock(),
                        formats=formats or DEFAULT_FORMATS, base_url=config["BASE_URL"], jobs=jobs, progress=progress)
    if bar is not None:
        bar.__exit__(None, None, None)
    click.echo(f"{report.rendered} rendered, {report.skipped} up to date, {len(report.failures)} failed")
    for label, error in report.failures:
        click.echo(f"FAILED {label}: {error}", err=True)
    sys.exit(1 if report.failures else 0)



# --- people ---------------------------------------------------------------------------------------


@main.group()
def user() -> None:
    """People's accounts (e-mail and password) for the web pages."""


@user.command("add")
@click.argument("email")
@click.option("--body", "body_id", help="The standards body the person drafts for.")
@click.option("--registrar", is_flag=True, help="A registrar: reviews, publishes and withdraws.")
@click.option("--generate-password", is_flag=True,
              help="Generate a password and print it once on stdout instead of asking for one.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
def user_add(email: str, body_id: str | None, registrar: bool, generate_password: bool, password_stdin: bool) -> None:
    """Create a person's account; asks for the password (twice) unless told to generate or read it."""
    from .db import write_session
    from .errors import RegistryError
    from .services import people

    if (body_id is None) == (not registrar):
        raise click.UsageError("give exactly one of --body ID and --registrar")
    if generate_password:
        password = people.generate_password()
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with write_session(_engine()) as session:
            account = people.add_person(session, email, password, body_id=body_id, registrar=registrar)
            name, role = account.name, account.role
    except RegistryError as error:
        _fail(error)
    if generate_password:
        click.echo(password)
    click.echo(f"account {name} ({role}{', body ' + body_id if body_id else ''}) created", err=True)


from .lint.cli import lint, translations  # noqa: E402  (imports only click: `registry lint` stays light)
from .search.cli import reindex_command  # noqa: E402  (imports only click: `registry validate` stays light)

main.add_command(reindex_command(_engine))
main.add_command(lint)
main.add_command(translations)
