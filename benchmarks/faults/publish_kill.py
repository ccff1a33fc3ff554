"""Fault: the server SIGKILLed in the middle of a publication (issue 14, item 3).

Each trial serves a SQLite catalog (standards/ loaded) with gunicorn (two workers, loopback), has a
body draft a new version of one standard and a registrar approve it, downloads the PDF of the
version in force (so the exports folder holds its plain copy), then publishes the draft and kills
the whole server with SIGKILL at a point that varies from trial to trial:

* ``random``: after a random delay from sending the request, between 0 and 1.5 times what an
  undisturbed publication takes (measured first), so kills fall anywhere in the request;
* ``versions``, ``commit``, ``committed``: at a stage, held open by the test-only fault injection
  (``REGISTRY_FAULT_PUBLISH_POINT``): the version rows written; every row written just before
  COMMIT; just after COMMIT, before what the commit causes.

Then a new server starts on the same catalog, index and exports, and the trial checks that
* the catalog is consistent: the version is fully published (its exact bytes and sha256, the draft
  published and pointing at it, one change-log entry) or not at all (no row of it anywhere);
* the audit trail is complete: every published version of the catalog has exactly one "publish"
  event and no such event names a version that is not published; the draft's "publish-draft"
  event exists exactly when it is published;
* the index is repaired: a search finds every published version (all=1) and no unpublished one;
* the exports are repaired: the plain copy of the former version's PDF is gone or is what a
  download now gives (no superseded PDF that says "in force"), and the PDFs of the new version and
  of the former one download.
A draft that was not published is then published on the restarted server (201) and checked again.

    .venv/bin/python benchmarks/faults/publish_kill.py [--trials 50] [--seed 14]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _live import ROOT, LiveServer, prepare_catalog  # noqa: E402

sys.path.insert(0, str(ROOT))

CODE = "2-02-38-03"
SOURCE = (ROOT / "standards" / CODE / "1.1.yaml").read_bytes()
MODES = ["random", "versions", "random", "commit", "random", "committed"]
ANNOUNCED = b"fault injection: holding the publish"


def draft_source(minor: int) -> bytes:
    """Version 1.<minor> of the standard, its wording changed so that its bytes are its own."""
    return (SOURCE.replace(b'\nversion: "1.1"', f'\nversion: "1.{minor}"'.encode())
            .replace("能".encode(), f"能够{minor}".encode(), 1))


class Trials:
    def __init__(self, work: Path, tokens: dict, url: str):
        self.work, self.tokens, self.url = work, tokens, url
        self.env = {"REGISTRY_DATABASE_URL": url, "REGISTRY_DATA_DIR": str(work / "instance"),
                    "REGISTRY_EXPORTS_DIR": str(work / "exports")}
        self.in_force = "1.1"
        self.attempted: dict[str, tuple[int, bytes]] = {}  # version -> (draft id, source)

    def server(self, mode: str = "plain") -> LiveServer:
        env = dict(self.env)
        if mode not in ("plain", "random"):
            env |= {"REGISTRY_FAULT_PUBLISH_DELAY": "60", "REGISTRY_FAULT_PUBLISH_POINT": mode}
        return LiveServer(env, self.work / "server.log")

    def approved_draft(self, server: LiveServer, source: bytes) -> int:
        body, registrar = self.tokens["body"], self.tokens["registrar"]
        status, _, data = server.request("POST", "/api/v1/drafts", source,
                                         {**body, "Content-Type": "application/yaml"})
        if status != 201:
            raise RuntimeError(f"draft refused: {status} {data[:300]!r}")
        draft = json.loads(data)["id"]
        for step, who in (("submit", body), ("approve", registrar)):
            status, _, data = server.request("POST", f"/api/v1/drafts/{draft}/{step}", headers=who)
            if status != 200:
                raise RuntimeError(f"{step} refused: {status} {data[:300]!r}")
        return draft

    def publish(self, server: LiveServer, draft: int) -> tuple[int, bytes]:
        status, _, data = server.request("POST", f"/api/v1/drafts/{draft}/publish", headers=self.tokens["registrar"])
        return status, data

    def pdf(self, server: LiveServer, version: str) -> bytes:
        status, _, data = server.request("GET", f"/standards/{CODE}/{version}.pdf", timeout=120)
        if status != 200 or not data.startswith(b"%PDF"):
            raise AssertionError(f"PDF of {version}: {status} {data[:200]!r}")
        return data

    def mirror(self, version: str) -> Path:
        return self.work / "exports" / "standards" / CODE / f"{version}.pdf"


def kill_during_publish(trials: Trials, server: LiveServer, draft: int, mode: str, delay: float) -> str:
    """Publish ``draft`` and SIGKILL the server at the trial's point; say how the request ended."""
    outcome: dict = {}

    def publish() -> None:
        try:
            outcome["status"] = trials.publish(server, draft)[0]
        except OSError as exc:  # the connection dies with the server
            outcome["error"] = type(exc).__name__

    thread = threading.Thread(target=publish)
    thread.start()
    if mode == "random":
        time.sleep(delay)
    else:
        deadline = time.monotonic() + 60
        while ANNOUNCED not in server.log_path.read_bytes()[server.log_start:]:
            if time.monotonic() > deadline or not thread.is_alive():
                break
            time.sleep(0.01)
    server.kill()
    thread.join(60)
    return f"answered {outcome['status']}" if "status" in outcome else f"cut ({outcome.get('error')})"


def check_catalog(url: str, attempted: dict[str, tuple[int, bytes]]) -> tuple[list[str], set[str]]:
    """Problems with the catalog and its audit trail, and the versions of CODE that are published."""
    from sqlmodel import select

    from registry.db import make_engine, read_session
    from registry.models import AuditEvent, ChangeLog, Draft, StandardVersion

    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            versions = session.exec(select(StandardVersion)).all()
            log = session.exec(select(ChangeLog).where(ChangeLog.op == "publish")).all()
            events = session.exec(select(AuditEvent)).all()
            drafts = {d.id: d for d in session.exec(select(Draft)).all()}
    finally:
        engine.dispose()
    problems = []
    rows = {(v.code, v.version): v for v in versions}
    published_events = [(e.code, e.version) for e in events if e.action == "publish"]
    for key in rows:
        if published_events.count(key) != 1:
            problems.append(f"{key[0]} {key[1]}: {published_events.count(key)} publish audit events")
    problems += [f"audit event for {key} which is not published" for key in set(published_events) - set(rows)]
    for version, (draft_id, source) in attempted.items():
        row, draft = rows.get((CODE, version)), drafts[draft_id]
        draft_events = [e for e in events if e.draft_id == draft_id and e.action == "publish-draft"]
        entries = [e for e in log if e.code == CODE and e.version == version]
        if row is None:
            if draft.status != "approved" or draft.published_version_id is not None or draft_events or entries:
                problems.append(f"{version}: half published (draft {draft.status}, {len(draft_events)} "
                                f"publish-draft events, {len(entries)} change-log entries, no version row)")
            continue
        if row.source != source or row.sha256 != hashlib.sha256(source).hexdigest():
            problems.append(f"{version}: published bytes or sha256 differ from the draft's")
        if draft.status != "published" or draft.published_version_id != row.id or len(draft_events) != 1:
            problems.append(f"{version}: published, but draft {draft.status} -> {draft.published_version_id}, "
                            f"{len(draft_events)} publish-draft events")
        if len(entries) != 1:
            problems.append(f"{version}: {len(entries)} change-log entries")
    return problems, {v for c, v in rows if c == CODE}


def check_index(server: LiveServer, published: set[str], absent: set[str], limit: float) -> list[str]:
    """Wait (up to ``limit`` s) until a search finds every published version of CODE and no other."""
    deadline = time.monotonic() + limit
    while True:
        problems = []
        for version in sorted(published | absent):
            status, headers, data = server.request("GET", f"/api/v1/search?q={CODE}@{version}&all=1&per_page=5")
            if status == 503 and headers.get("Retry-After"):
                problems.append(f"search for {version}: 503 (index not ready)")
                break
            if status != 200:
                return [f"search for {version}: {status} {data[:200]!r}"]
            found = any(h["code"] == CODE and h["version"] == version for h in json.loads(data)["hits"])
            if found != (version in published):
                problems.append(f"search {'misses' if version in published else 'finds'} {version}")
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.2)


def run_trial(trials: Trials, minor: int, mode: str, delay: float) -> tuple[str, list[str]]:
    version, former = f"1.{minor}", trials.in_force
    source = draft_source(minor)
    server = trials.server(mode)
    try:
        draft = trials.approved_draft(server, source)
        trials.attempted[version] = (draft, source)
        trials.pdf(server, former)  # its plain copy now says "in force"
        outcome = kill_during_publish(trials, server, draft, mode, delay)
    finally:
        server.kill()
    problems: list[str] = []
    restarted = trials.server()
    try:
        for attempt in ("after the kill", "after publishing again"):
            found, published = check_catalog(trials.url, trials.attempted)
            problems += [f"{attempt}: {p}" for p in found]
            copy = trials.mirror(former)
            stale = copy.read_bytes() if copy.exists() else None
            problems += [f"{attempt}: {p}" for p in check_index(restarted, published, set(trials.attempted) - published,
                                                               limit=120)]
            now = trials.pdf(restarted, former)
            if stale is not None and stale != now:
                problems.append(f"{attempt}: the plain copy of {former}'s PDF is stale (not what a download gives)")
            if version in published:
                trials.pdf(restarted, version)
                trials.in_force = version
                break
            outcome += "; not published"
            status, data = trials.publish(restarted, draft)
            if status != 201:
                problems.append(f"publishing again: {status} {data[:200]!r}")
                break
            outcome += ", published again"
    except AssertionError as error:
        problems.append(str(error))
    finally:
        restarted.kill()
    return outcome, problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    rnd = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="fault-publish-"))
    url = f"sqlite:///{work / 'registry.sqlite3'}"
    failures, outcomes = 0, {}
    try:
        trials = Trials(work, prepare_catalog(url, keeps=(CODE,)), url)
        server = trials.server()
        try:  # an undisturbed publication: how long the random kills have to fall within
            draft = trials.approved_draft(server, draft_source(2))
            started = time.monotonic()
            status, data = trials.publish(server, draft)
            span = time.monotonic() - started
            if status != 201:
                raise RuntimeError(f"the undisturbed publication failed: {status} {data[:300]!r}")
            trials.attempted["1.2"] = (draft, draft_source(2))
            trials.in_force = "1.2"
        finally:
            server.kill()
        print(f"an undisturbed publication takes {span * 1000:.0f} ms; random kills fall in 0-{span * 1500:.0f} ms")
        for trial, mode in zip(range(args.trials), itertools.cycle(MODES)):
            delay = rnd.uniform(0, span * 1.5)
            outcome, problems = run_trial(trials, trial + 3, mode, delay)
            failures += bool(problems)
            kind = outcome.split(";")[0].split(" (")[0]
            outcomes[kind] = outcomes.get(kind, 0) + 1
            point = f"random {delay * 1000:4.0f} ms" if mode == "random" else f"at {mode}"
            print(f"trial {trial + 1:3d} {point:16s} {outcome}: {'FAIL ' + '; '.join(problems) if problems else 'ok'}",
                  flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"publish killed: {args.trials} trials, {failures} failures; requests {dict(sorted(outcomes.items()))}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
