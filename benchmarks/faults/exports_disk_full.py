"""Fault: the exports disk full (issue 14, item 3).

The exports folder is a small tmpfs of its own (this needs root: ``mount -t tmpfs``; without it the
script says so and skips). gunicorn (two workers, loopback) serves a SQLite catalog of standards/.
Each trial fills the tmpfs to the last byte (or, one trial in three, uses up its inodes), asks for a download that is not cached yet (a version
and format taken in turn: PDF, HTML, CSV, CASE JSON, JSON, YAML), and checks that
* the answer is the file (served from memory: 200, the format's media type, a PDF that is a PDF, a
  file /api/v1/verify recognises as issued) or a 503 with Retry-After, never a 500 or other status;
* nothing half-written is left in the exports folder (no temporary file, no new file);
then frees the space and asks again: the answer is the file, now kept in the exports folder (a new
file there with exactly the bytes served). The kept file is then deleted, so every trial starts
with the download not cached.

    .venv/bin/python benchmarks/faults/exports_disk_full.py [--trials 24] [--size 8m] [--inodes 4000]
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import itertools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _live import ROOT, LiveServer, prepare_catalog  # noqa: E402

FORMATS = {".pdf": "application/pdf", ".html": "text/html", ".csv": "text/csv", ".case.json": "application/json",
           ".json": "application/json", ".yaml": "application/yaml"}
FILLER = "filler"


def versions() -> list[tuple[str, str]]:
    return sorted((path.parent.name, path.stem) for path in (ROOT / "standards").glob("*/*.yaml"))


def fill(folder: Path, how: str) -> int:
    """Fill the disk: its bytes (one file until not one more byte fits; returns its size) or its
    inodes (empty files until no more can be made; returns how many)."""
    fillers = folder / FILLER
    fillers.mkdir()
    written = 0
    if how == "inodes":
        while True:
            try:
                (fillers / str(written)).touch()
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return written
            written += 1
    with open(fillers / "bytes", "wb", buffering=0) as handle:
        for chunk in (1 << 20, 1 << 16, 1 << 12, 1 << 8, 1):
            while True:
                try:
                    written += handle.write(b"\0" * chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
    return written


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def check_answer(server: LiveServer, url: str, suffix: str, status: int, headers: dict, data: bytes) -> list[str]:
    if status == 503:
        return [] if headers.get("Retry-After") else ["503 without Retry-After"]
    if status != 200:
        return [f"{status}: {data[:200]!r}"]
    problems = []
    if not headers.get("Content-Type", "").startswith(FORMATS[suffix]):
        problems.append(f"Content-Type {headers.get('Content-Type')}")
    if suffix == ".pdf" and not data.startswith(b"%PDF"):
        problems.append("not a PDF")
    if suffix != ".yaml":  # the source's sha256 is the version's own; every other file is in the ledger
        verified = server.request("GET", f"/api/v1/verify/{hashlib.sha256(data).hexdigest()}")[0]
        if verified != 200:
            problems.append(f"/verify does not know the file served ({verified})")
    return problems


def run_trial(server: LiveServer, folder: Path, url: str, suffix: str, how: str) -> tuple[str, list[str]]:
    before = snapshot(folder)
    filled = fill(folder, how)
    problems: list[str] = []
    try:
        status, headers, data = server.request("GET", url, timeout=120)
        problems += [f"full: {p}" for p in check_answer(server, url, suffix, status, headers, data)]
        left = {name: size for name, size in snapshot(folder).items()
                if not name.startswith(FILLER) and before.get(name) != size}
        if left:
            problems.append(f"full: left in the exports folder: {sorted(left)[:5]}")
        outcome = f"full {status}{' from memory' if status == 200 else ''}"
    finally:
        shutil.rmtree(folder / FILLER)
    status, headers, data = server.request("GET", url, timeout=120)
    problems += [f"freed: {p}" for p in check_answer(server, url, suffix, status, headers, data)]
    kept = [name for name, size in snapshot(folder).items() if name not in before and name.startswith("files/")]
    if status == 200 and not any((folder / name).read_bytes() == data for name in kept):
        problems.append(f"freed: the file served is not kept in the exports folder (new files: {kept})")
    for name in set(snapshot(folder)) - set(before):  # so that the next trial on it finds it not cached
        (folder / name).unlink()
    filled = f"{filled // 1024} KiB" if how == "bytes" else f"{filled} inodes"
    return f"{outcome}, freed {status}, {filled} filled", problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--size", default="8m", help="size of the exports tmpfs")
    parser.add_argument("--inodes", type=int, default=4000, help="inodes of the exports tmpfs")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fault-disk-"))
    folder = work / "exports"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size},nr_inodes={args.inodes},mode=0755", "tmpfs",
                              str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        shutil.rmtree(work, ignore_errors=True)
        print(f"exports disk full: SKIPPED, cannot mount a tmpfs (root needed): {mounted.stderr.strip()}")
        return 0
    failures, answers, server = 0, {}, None
    try:
        url = f"sqlite:///{work / 'registry.sqlite3'}"
        prepare_catalog(url)
        server = LiveServer({"REGISTRY_DATABASE_URL": url, "REGISTRY_DATA_DIR": str(work / "instance"),
                             "REGISTRY_EXPORTS_DIR": str(folder)}, work / "server.log")
        cases = itertools.product(versions(), FORMATS)  # each version in every format in turn
        hows = itertools.cycle(["bytes", "bytes", "inodes"])  # mostly bytes: a full disk is more often full of data
        for trial, ((code, version), suffix), how in zip(range(args.trials), itertools.cycle(cases), hows):
            path = f"/standards/{code}/{version}{suffix}"
            outcome, problems = run_trial(server, folder, path, suffix, how)
            kind = outcome.split(",")[0]
            answers[kind] = answers.get(kind, 0) + 1
            failures += bool(problems)
            print(f"trial {trial + 1:3d} {path:38s} {outcome}: {'FAIL ' + '; '.join(problems) if problems else 'ok'}",
                  flush=True)
        errors = [line for line in (work / "server.log").read_text().splitlines() if "Traceback" in line]
        if errors:
            failures += 1
            print(f"FAIL: {len(errors)} tracebacks in the server's log ({work / 'server.log'})")
    finally:
        if server is not None:
            server.kill()
        subprocess.run(["umount", "-l", str(folder)], check=False)
        if not failures:
            shutil.rmtree(work, ignore_errors=True)
    print(f"exports disk full: {args.trials} trials, {failures} failures; answers while full "
          f"{dict(sorted(answers.items()))} (exports tmpfs {args.size}, {args.inodes} inodes)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
