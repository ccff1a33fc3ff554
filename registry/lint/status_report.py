"""``registry translations status``: coverage per language and the stale translations of a standard."""

from __future__ import annotations

import os
import re

import click

from .. import translation_stamps as stamps
from ..documents import text_in

_CODE = re.compile(r"([1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2})(?:@([0-9]+\.[0-9]+))?\Z")


def load_target(target: str) -> tuple[str, dict]:
    """(a name to show, the document) of a file, or of a code (CODE@VERSION) in the catalog."""
    if os.path.exists(target):
        from ..validate import validate_file

        report = validate_file(target, check_path=False)
        if report.document is None or not report.valid:
            raise click.ClickException(f"{target} is not a valid standard; run registry validate {target}")
        return target, report.document.data
    match = _CODE.match(target)
    if match is None:
        raise click.BadParameter(f"{target!r} is neither a file nor an occupation code (CODE or CODE@VERSION)")
    from ..cli_support import catalog_engine as _engine
    from ..cli_support import registry_clock as _clock
    from ..db import read_session
    from ..errors import NotFound
    from ..services.lint_corpus import standard_document

    with read_session(_engine()) as session:
        try:
            document = standard_document(session, match.group(1), match.group(2), _clock())
        except NotFound as error:
            raise click.ClickException(error.message) from None
    return f"{document['code']} {document['version']}", document


def print_status(target: str, listing: str) -> int:
    """Print the report; the exit status is 1 when a translation is stale or missing."""
    name, doc = load_target(target)
    master = doc["languages"]["master"]
    states = stamps.translation_states(doc)
    table = stamps.coverage(states)
    total = sum(1 for _ in stamps.slots(doc))
    click.echo(f"{name}: {total} texts, master language {master}")
    click.echo(f"{'language':9} {'translated':>10} {'current':>8} {'stale':>6} {'unstamped':>9} {'missing':>8} "
               f"{'coverage':>9}")
    for lang in stamps.translation_languages(doc):
        counts = table.get(lang, {})
        translated = total - counts.get(stamps.MISSING, 0)
        share = f"{100.0 * translated / total:.1f}%" if total else "-"
        click.echo(f"{lang:9} {translated:>10} {counts.get(stamps.CURRENT, 0):>8} {counts.get(stamps.STALE, 0):>6} "
                   f"{counts.get(stamps.UNSTAMPED, 0):>9} {counts.get(stamps.MISSING, 0):>8} {share:>9}")
    wanted = {"stale": (stamps.STALE,), "missing": (stamps.MISSING,), "unstamped": (stamps.UNSTAMPED,),
              "all": (stamps.STALE, stamps.MISSING, stamps.UNSTAMPED)}[listing]
    shown = [s for s in states if s.state in wanted]
    click.echo(f"{listing} translations: {len(shown)}" + ("" if shown else " (none)"))
    texts = {slot.path: slot.text for slot in stamps.slots(doc)}
    for state in shown:
        original = text_in(texts[state.path], master, master)
        short = original if len(original) <= 40 else original[:39] + "…"
        edited = " (edited since its stamp)" if state.edited else ""
        click.echo(f"  {state.state:9} {state.lang:5} {state.json_path}  {state.item_id or ''}  “{short}”{edited}")
    return 1 if any(s.state in (stamps.STALE, stamps.MISSING) for s in states) else 0
