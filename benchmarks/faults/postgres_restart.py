"""Fault: PostgreSQL stopped and started again under read traffic (issue 14, item 3).

A PostgreSQL server of the script's own (``scripts/postgres.sh`` with a data folder and port of its
own, destroyed at the end) holds the catalog (standards/ loaded); gunicorn (two workers, loopback)
serves it, and threads read without pause: the search API, the search page, the home page, a
standard's page, the browse page, and the API's list, standard and version. Each trial:

1. up: every kind of read answers 200 (waited for), then for ``--up`` seconds only 200s;
2. PostgreSQL stopped (``pg_ctl stop -m fast``: connections cut) and kept down ``--down`` seconds;
3. started again, and the reads must come back to 200 within ``--limit`` seconds, the app not
   restarted (its pool's connections are dead: it must notice and reconnect).

Throughout, an answer must be 200 or 503 with Retry-After (while the catalog is unreachable), never
a 500 or another status, and no answer may show a traceback or a path of the server. A trial fails
on any such answer or when the reads do not recover in time.

    .venv/bin/python benchmarks/faults/postgres_restart.py [--trials 10] [--down 3] [--up 1.5] [--limit 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _live import ROOT, LiveServer, free_port, prepare_catalog  # noqa: E402

READS = {
    "search-api": "/api/v1/search?q=%E6%95%B0%E6%8D%AE&per_page=5",
    "search-page": "/search?q=%E6%95%B0%E6%8D%AE",
    "home": "/",
    "standard-page": "/standards/2-02-38-03",
    "browse": "/standards",
    "api-list": "/api/v1/standards?per_page=5",
    "api-standard": "/api/v1/standards/2-02-38-03",
    "api-version": "/api/v1/standards/2-02-38-03/versions/1.1",
}
LEAKS = (b"Traceback", b'File "/', str(ROOT).encode(), b"sqlalchemy", b"psycopg")


class Postgres:
    """``scripts/postgres.sh`` on a cluster of this script's own (its folder, its port)."""

    def __init__(self, folder: Path):
        self.env = {**os.environ, "REGISTRY_PG_DIR": str(folder), "REGISTRY_PG_PORT": str(free_port())}

    def __call__(self, command: str) -> str:
        done = subprocess.run([str(ROOT / "scripts" / "postgres.sh"), command], env=self.env, capture_output=True,
                              text=True)
        if done.returncode != 0:
            raise RuntimeError(f"postgres.sh {command}: {done.stderr.strip()[-500:]}")
        return done.stdout.strip()


class Traffic:
    """Threads reading without pause; each answer is kept with the phase it ended in."""

    def __init__(self, server: LiveServer, threads: int = 3):
        self.server, self.phase, self.answers = server, "up", []
        self.lock, self.stop = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)]
        for thread in self.threads:
            thread.start()

    def _run(self, offset: int) -> None:
        kinds = list(READS)
        i = offset
        while not self.stop.is_set():
            kind = kinds[i % len(kinds)]
            i += 1
            try:
                status, headers, data = self.server.request("GET", READS[kind], timeout=60)
                answer = (status, bool(headers.get("Retry-After")), [leak for leak in LEAKS if leak in data])
            except OSError as exc:
                answer = (f"no answer ({type(exc).__name__})", False, [])
            with self.lock:
                self.answers.append((self.phase, kind, *answer))

    def set_phase(self, phase: str) -> int:
        with self.lock:
            self.phase = phase
            return len(self.answers)

    def since(self, start: int) -> list[tuple]:
        with self.lock:
            return self.answers[start:]

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(90)


def problems_of(answers: list[tuple], *, only_ok: bool) -> list[str]:
    found = Counter()
    for _phase, kind, status, retry_after, leaks in answers:
        if leaks:
            found[f"{kind}: {status} shows {leaks[0].decode()!r}"] += 1
        if status == 200 or (status == 503 and retry_after and not only_ok):
            continue
        found[f"{kind}: {status}{' without Retry-After' if status == 503 and not retry_after else ''}"] += 1
    return [f"{what} (x{n})" for what, n in found.items()]


def wait_all_ok(traffic: Traffic, limit: float) -> tuple[float | None, str]:
    """Seconds until every kind of read has answered 200 since now (None when not within ``limit``),
    and what the others answered meanwhile."""
    start, started = len(traffic.since(0)), time.monotonic()
    while True:
        answers = traffic.since(start)
        if {kind for _p, kind, status, *_ in answers if status == 200} == set(READS):
            return time.monotonic() - started, ""
        if time.monotonic() - started > limit:
            ok = {kind for _p, kind, status, *_ in answers if status == 200}
            others = Counter(f"{kind} {status}" for _p, kind, status, *_ in answers if kind not in ok)
            return None, f"not every read answers 200 within {limit:g} s: {dict(others)}"
        time.sleep(0.05)


def run_trial(traffic: Traffic, postgres: Postgres, args) -> tuple[str, list[str], Counter]:
    problems: list[str] = []
    traffic.set_phase("up")
    ready, why = wait_all_ok(traffic, args.limit)
    if ready is None:
        return "not up", [why], Counter()
    start = traffic.set_phase("up")
    time.sleep(args.up)
    problems += [f"up: {p}" for p in problems_of(traffic.since(start), only_ok=True)]
    start = traffic.set_phase("down")
    postgres("stop")
    time.sleep(args.down)
    postgres("start")
    traffic.set_phase("recovering")
    recovered, why = wait_all_ok(traffic, args.limit)
    during = traffic.since(start)
    problems += [f"down: {p}" for p in problems_of(during, only_ok=False)]
    if recovered is None:
        problems.append(f"after the restart, {why}")
    statuses = Counter(str(status) for _p, _k, status, *_ in during)
    return (f"recovered in {recovered:.1f} s" if recovered is not None else "not recovered"), problems, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--down", type=float, default=3.0, help="seconds PostgreSQL stays down")
    parser.add_argument("--up", type=float, default=1.5, help="seconds of reads that must all answer 200")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds the reads may take to recover")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="fault-pg-"))
    work.chmod(0o755)  # as root, the cluster belongs to the postgres user, who must reach it
    postgres = Postgres(work / "pg")
    server = traffic = None
    failures, totals = 0, Counter()
    try:
        postgres("start")
        url = postgres("url")
        prepare_catalog(url)
        server = LiveServer({"REGISTRY_DATABASE_URL": url, "REGISTRY_DATA_DIR": str(work / "instance"),
                             "REGISTRY_EXPORTS_DIR": str(work / "exports")}, work / "server.log")
        traffic = Traffic(server)
        for trial in range(args.trials):
            outcome, problems, statuses = run_trial(traffic, postgres, args)
            totals += statuses
            failures += bool(problems)
            print(f"trial {trial + 1:3d} down {args.down:g} s: answers {dict(sorted(statuses.items()))}, {outcome}: "
                  f"{'FAIL ' + '; '.join(problems) if problems else 'ok'}", flush=True)
    finally:
        if traffic is not None:
            traffic.close()
        if server is not None:
            server.kill()
        try:
            postgres("destroy")
        except RuntimeError as error:
            print(f"cleaning up: {error}")
        if not failures:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"the server's log is kept: {work / 'server.log'}")
    print(f"postgres restart: {args.trials} trials, {failures} failures; answers while down or recovering "
          f"{dict(sorted(totals.items()))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
