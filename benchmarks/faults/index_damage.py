"""Fault: a part of the search index deleted or corrupted while the app serves (issue 14, item 3).

Each trial harms the current generation of a running app's index in one of several ways (the whole
generation folder, a segment, the table of contents, the mirrors, the checksums: deleted, truncated
or overwritten with garbage), then searches until the index answers as before. A trial fails if any
answer is a 5xx other than 503, a 503 lacks Retry-After, or the index is not rebuilt within the limit.

    .venv/bin/python benchmarks/faults/index_damage.py [--trials 20] [--limit 120]

It runs in one process on a temporary SQLite copy of standards/ (the Flask test client: no network).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HARMS = ["delete-generation", "delete-segment", "delete-toc", "delete-mirrors", "delete-checksums",
         "truncate-toc", "truncate-segment", "garbage-checksums", "garbage-toc", "garbage-mirrors"]
PATTERNS = {"segment": "MAIN_*.seg", "toc": "_MAIN_*.toc", "mirrors": "MAIN_*.mirror_*", "checksums": "checksums.json"}
QUERY = {"q": "数据清洗", "per_page": 50}


def hit_ids(answer: dict) -> list[str]:
    return sorted(f"{h['code']}@{h['version']}#{h.get('item_id') or ''}" for h in answer["hits"])


def harm(generation: Path, how: str) -> None:
    if how == "delete-generation":
        shutil.rmtree(generation)
        return
    action, part = how.split("-", 1)
    for path in sorted(generation.glob(PATTERNS[part])):
        if action == "delete":
            path.unlink()
        elif action == "truncate":
            path.write_bytes(path.read_bytes()[:20])
        else:
            path.write_bytes(b"\x00garbage{")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds a rebuild may take")
    args = parser.parse_args()

    from registry import create_app
    from registry.db import make_engine
    from registry.migrate import upgrade
    from registry.search.service import service_for
    from registry.services.catalog import load_corpus

    work = Path(tempfile.mkdtemp(prefix="fault-index-"))
    url = f"sqlite:///{work / 'registry.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    load_corpus(engine, [str(ROOT / "standards")])
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(work / "instance"), "EXPORTS_DIR": str(work / "exports"),
                      "LOG_LEVEL": "ERROR", "RENDER_WARM": 0, "WATCH_INTERVAL": 0})
    service = service_for(app)
    service.start(wait=0)
    assert service.wait_ready(600), "the index was never built"
    client = app.test_client()
    expected = client.get("/api/v1/search", query_string=QUERY).get_json()
    ids = hit_ids(expected)
    failures, statuses, took = 0, {}, []
    for trial, how in zip(range(args.trials), itertools.cycle(HARMS)):
        index = service.index.generation_dir()
        harm(Path(index), how)
        started, problem = time.monotonic(), None
        while True:
            response = client.get("/api/v1/search", query_string=QUERY)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 503 and not response.headers.get("Retry-After"):
                problem = "503 without Retry-After"
            elif response.status_code not in (200, 503):
                problem = f"{response.status_code}: {response.get_data(as_text=True)[:200]}"
            elif response.status_code == 200 and service.index.generation_dir() != index:
                if hit_ids(response.get_json()) != ids:
                    problem = "rebuilt index answers differently"
                break
            if problem or time.monotonic() - started > args.limit:
                problem = problem or f"not rebuilt within {args.limit:g} s"
                break
            time.sleep(0.05)
        took.append(time.monotonic() - started)
        failures += problem is not None
        print(f"trial {trial + 1:3d} {how:18s} {'FAIL ' + problem if problem else 'ok'} ({took[-1]:.1f} s)", flush=True)
    service.close()
    shutil.rmtree(work, ignore_errors=True)
    print(f"index damage: {args.trials} trials, {failures} failures; answers {dict(sorted(statuses.items()))}; "
          f"rebuilt in {min(took):.1f}-{max(took):.1f} s (pid {os.getpid()})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
