"""Fault: the render child killed (SIGKILL) in the middle of a render (issue 14, item 3).

Each trial starts a render of a real standard in the warm render worker, kills the child after a
random delay within the render, and expects RenderUnavailable (HTTP 503 with Retry-After), never
RenderFailed (422); then the next render of the same document must give a PDF. A trial whose render
ended before the kill counts as "finished first" (not a failure).

    .venv/bin/python benchmarks/faults/render_kill.py [--trials 20]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()

    from registry.exports import VersionInfo  # noqa: F401  (import order: exports before render)
    from registry.loader import load_bytes
    from registry.render import RenderFailed, RenderUnavailable
    from registry.render.html import render_html
    from registry.render.worker import RenderWorker
    from tests.infos import info_for

    source = (ROOT / "tests" / "data" / "valid" / "example.yaml").read_bytes()
    doc = load_bytes(source).data
    html = render_html(doc, status_info=info_for(source), standalone=False, for_pdf=True)
    worker = RenderWorker(timeout=120, warm=True).start()
    rnd = random.Random(args.seed)
    worker.render_pdf(html)  # warm, and how long one render takes
    failures = unavailable = finished = 0
    for trial in range(args.trials):
        pid = worker.pid
        timer = threading.Timer(rnd.uniform(0.05, 1.0), os.kill, (pid, signal.SIGKILL))
        timer.start()
        outcome = "?"
        try:
            worker.render_pdf(html)
            outcome = "finished first"
            finished += 1
        except RenderUnavailable:
            outcome = "503"
            unavailable += 1
        except RenderFailed as error:
            outcome = f"FAIL 422 {error}"
        timer.join()
        try:
            after = worker.render_pdf(html)
            ok = after.startswith(b"%PDF")
        except Exception as error:  # noqa: BLE001 - any failure of the next render is what we count
            ok, outcome = False, f"{outcome}; next render FAIL {type(error).__name__}: {error}"
        failed = outcome.startswith("FAIL") or not ok
        failures += failed
        print(f"trial {trial + 1:3d} killed pid {pid}: {outcome}; next render {'ok' if ok else 'FAIL'}", flush=True)
    worker.close()
    print(f"render child killed: {args.trials} trials, {failures} failures ({unavailable} answered 503, "
          f"{finished} finished before the kill)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
