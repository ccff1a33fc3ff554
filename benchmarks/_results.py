"""Writing a benchmark's figures into benchmarks/RESULTS.md, one part at a time.

A section (``## ...``) may hold parts written by different scripts (``### ...``). Each script
replaces only its own part, from its heading to the next heading of the same or a higher level,
so re-running one benchmark never erases another's figures.
"""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_part(section: str, part: str, text: str, results: Path = RESULTS) -> None:
    """Put ``text`` (which starts with the ``part`` heading) under ``section``, replacing that part."""
    current = results.read_text("utf-8") if results.exists() else "# Benchmark results\n"
    text = text.rstrip("\n") + "\n"
    if section not in current:
        current = current.rstrip("\n") + f"\n\n{section}\n\n"
    start = current.index(section)
    following = re.compile(r"^## ", re.M).search(current, start + len(section))
    end = following.start() if following else len(current)
    body = current[start + len(section):end]
    if part in body:
        begin = body.index(part)
        after = re.compile(r"^##+ ", re.M).search(body, begin + len(part))
        body = body[:begin] + text + ("\n" + body[after.start():] if after else "")
    else:
        body = body.rstrip("\n") + "\n\n" + text
    current = current[:start + len(section)] + "\n\n" + body.lstrip("\n").rstrip("\n") + "\n" + (
        "\n" + current[end:] if following else "")
    results.write_text(current.rstrip("\n") + "\n", "utf-8")


def write_section(section: str, text: str, results: Path = RESULTS) -> None:
    """Replace a whole section (``## ...``, which ``text`` starts with) written by one script alone."""
    current = results.read_text("utf-8") if results.exists() else "# Benchmark results\n"
    if section in current:
        start = current.index(section)
        following = re.compile(r"^## ", re.M).search(current, start + len(section))
        current = current[:start] + text.rstrip("\n") + "\n" + ("\n" + current[following.start():] if following else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    results.write_text(current.rstrip("\n") + "\n", "utf-8")


def report(section: str, part: str, lines: list[str], write: bool = True) -> None:
    """Print the part's lines and, unless ``write`` is false, put them into RESULTS.md."""
    text = "\n".join(lines)
    print(text)
    if write:
        write_part(section, part, text)


def add_write_flags(parser) -> None:
    """``--write`` puts the figures into RESULTS.md; without it (``--no-write``, the default) a run only prints.

    Only runs made under the machine's exclusive lock are meant to be recorded, so recording is asked for.
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", dest="write", action="store_true",
                       help="replace this benchmark's figures in benchmarks/RESULTS.md")
    group.add_argument("--no-write", dest="write", action="store_false",
                       help="only print the figures (the default)")
    parser.set_defaults(write=False)
