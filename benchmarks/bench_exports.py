"""Issue 5 benchmark: `registry export --all`, cached downloads, and the first PDF after a start.

Parts (``--parts a,b,c,d``, all by default):

a. ``registry export --all`` over the sample corpus (``standards/``): ``--jobs 1``, then ``--jobs 2``,
   each into an empty exports folder (every format of every version), then once more with
   everything up to date. Wall time of the real console script.
b. The same over a synthetic corpus of ``--count`` standards (``gen_corpus.py``, default 200).
   The speed-up is the wall time of ``--jobs 1`` over that of ``--jobs 2``.
c. Cached PDF downloads through the registry (``/standards/{code}/{version}.pdf``, the largest
   standard, already rendered) under gunicorn as ``registry serve`` runs it (2 threaded workers), next to a bare Flask app whose
   one route only ``send_file``'s the same file (``bare_send_file.py``) under the same gunicorn
   settings, both up at once, in rounds (the order swapped every round); ``wrk -t2 --latency`` for
   ``--seconds`` at 8 and 32 connections. Needs ``wrk`` (Debian package ``wrk``: ``scripts/system-packages.sh wrk``).
d. The first PDF after a server start: gunicorn (2 workers) is started on an empty exports
   folder; as soon as it answers, an uncached PDF is asked for; then once more after the server
   has idled ``--idle`` seconds; with the warm renderer (the default) and without it
   (``REGISTRY_RENDER_WARM=0``).

Everything runs in a temporary folder with its own SQLite catalog; nothing of the checkout is
touched but the "Exports and downloads" part of benchmarks/RESULTS.md (with ``--write``; without it the script only
prints). The machine may be shared: the load average is printed before and after each part; run
it when the machine is quiet.

    .venv/bin/python benchmarks/bench_exports.py [--parts a,b,c,d] [--count 200] [--seconds 10] [--write]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import loadavg, machine  # noqa: E402
from _results import add_write_flags, report  # noqa: E402
from search.server import serve_threads  # noqa: E402

BIN = Path(sys.executable).parent
REGISTRY = str(BIN / "registry")
SECTION = "## Issue 5: rendering"
PART = "### Exports and downloads (bench_exports.py)"
LARGEST = ("2-02-38-01", "1.0")
OTHER = ("2-02-38-02", "1.0")
SPEEDUP_TARGET = 1.7
RATIO_TARGET = 0.8


def environment(folder: Path, exports: str = "exports", **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    env.update(REGISTRY_DATA_DIR=str(folder / "instance"), REGISTRY_EXPORTS_DIR=str(folder / exports),
               REGISTRY_LOG_LEVEL="WARNING", PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def run(args: list, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def catalog(folder: Path, corpus: Path) -> float:
    """A migrated SQLite catalog in ``folder`` with ``corpus`` published; returns the load time."""
    env = environment(folder)
    run([REGISTRY, "db", "upgrade"], env)
    started = time.perf_counter()
    run([REGISTRY, "load", str(corpus)], env)
    return time.perf_counter() - started


def export_all(folder: Path, jobs: int, exports: str) -> dict:
    env = environment(folder, exports)
    started = time.perf_counter()
    result = run([REGISTRY, "export", "--all", "--jobs", str(jobs)], env, check=False)
    wall = time.perf_counter() - started
    summary = re.search(r"(\d+) rendered, (\d+) up to date, (\d+) failed", result.stdout)
    if result.returncode != 0 or not summary:
        raise SystemExit(f"export --all --jobs {jobs} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    rendered, fresh, failed = map(int, summary.groups())
    return {"wall_s": wall, "rendered": rendered, "fresh": fresh, "failed": failed}


def bench_export(folder: Path, corpus: Path, label: str) -> dict:
    load_s = catalog(folder, corpus)
    load_before = loadavg()
    one = export_all(folder, 1, "exports-j1")
    two = export_all(folder, 2, "exports-j2")
    again = export_all(folder, 2, "exports-j2")
    pdfs = sorted((folder / "exports-j2" / "standards").rglob("*.pdf"))
    return {"label": label, "versions": len(pdfs), "load_s": load_s, "one": one, "two": two, "again": again,
            "speedup": one["wall_s"] / two["wall_s"], "load": f"{load_before} / {loadavg()}",
            "pdf_bytes": sum(p.stat().st_size for p in pdfs)}


# --- servers ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn as ``registry serve`` starts it (its configuration module, threaded workers of its default
    ``--threads``), 2 workers, no access log, in its own process group. The bare app gets the same."""

    def __init__(self, app: str, env: dict, chdir: Path = ROOT, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.started = time.perf_counter()
        self.threads = serve_threads()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:registry.serving", "--workers", str(workers),
             "--threads", str(self.threads), "--bind", f"127.0.0.1:{self.port}",
             "--timeout", "120", "--chdir", str(chdir), app],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

    def wait(self, path: str = "/", timeout: float = 60) -> float:
        """Seconds from the start until ``path`` answers 200."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server died:\n{self.proc.stderr.read().decode()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:
                    if response.status == 200:
                        response.read()
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"{self.url}{path} did not answer within {timeout} s")

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, 15)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


def get(url: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:
        body = response.read()
        return time.perf_counter() - started, response.status, body


def wrk(url: str, connections: int, seconds: int) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    transfer = re.search(r"Transfer/sec:\s+(\S+)", out).group(1)

    def percentile(p: str) -> str:
        found = re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)
        return found.group(1) if found else "?"

    errors = re.search(r"Socket errors:.*|Non-2xx or 3xx responses: \d+", out)
    return {"rps": rate, "transfer": transfer, "p50": percentile("50"), "p99": percentile("99"),
            "errors": errors.group(0) if errors else ""}


def bench_downloads(folder: Path, seconds: int, rounds: int = 3) -> dict:
    """Both servers up at once; in each round each connection count is measured on both, the order swapped every
    round, so that neither always runs first on a shared machine; the run with the median req/s is reported."""
    code, version = LARGEST
    env = environment(folder, "exports-j2")
    path = folder / "bare.pdf"  # the bare app serves the very bytes the registry serves from its cache
    registry = Server("registry:create_app()", env)
    bare = None
    runs: dict[str, dict[int, list]] = {"app": {8: [], 32: []}, "bare": {8: [], 32: []}}
    try:
        registry.wait()
        cached = list((folder / "exports-j2" / "files" / code / version).glob("*.pdf"))
        _, status, body = get(f"{registry.url}/standards/{code}/{version}.pdf")
        assert status == 200 and body in [c.read_bytes() for c in cached], "not served from `export --all`'s cache"
        path.write_bytes(body)
        bare = Server("bare_send_file:app", dict(env, BARE_FILE=str(path)), chdir=ROOT / "benchmarks")
        bare.wait("/file.pdf")
        urls = {"app": f"{registry.url}/standards/{code}/{version}.pdf", "bare": f"{bare.url}/file.pdf"}
        load_before = loadavg()
        for r in range(rounds):
            for c in (8, 32):
                for name in (("app", "bare") if r % 2 == 0 else ("bare", "app")):
                    runs[name][c].append(wrk(urls[name], c, seconds))
    finally:
        registry.stop()
        if bare is not None:
            bare.stop()

    def median_run(rs: list) -> dict:
        ordered = sorted(rs, key=lambda x: x["rps"])
        return dict(ordered[len(ordered) // 2], all_rps=[x["rps"] for x in rs])

    app = {c: median_run(runs["app"][c]) for c in (8, 32)}
    plain = {c: median_run(runs["bare"][c]) for c in (8, 32)}
    return {"app": app, "bare": plain, "bytes": path.stat().st_size, "load": f"{load_before} / {loadavg()}",
            "rounds": rounds, "ratio": {c: app[c]["rps"] / plain[c]["rps"] for c in (8, 32)},
            "round_ratios": {c: [a["rps"] / b["rps"] for a, b in zip(runs["app"][c], runs["bare"][c])] for c in (8, 32)}}


def bench_first_pdf(folder: Path, idle: int) -> dict:
    out = {}
    for warm in ("1", "0"):
        for delay in (0, idle):
            exports = f"exports-first-{warm}-{delay}"
            shutil.rmtree(folder / exports, ignore_errors=True)
            server = Server("registry:create_app()", environment(folder, exports, REGISTRY_RENDER_WARM=warm))
            try:
                ready = server.wait()
                time.sleep(delay)
                first, status, body = get(f"{server.url}/standards/{LARGEST[0]}/{LARGEST[1]}.pdf")
                assert status == 200 and body.startswith(b"%PDF-")
                second, status, _ = get(f"{server.url}/standards/{OTHER[0]}/{OTHER[1]}.pdf")
                assert status == 200
            finally:
                server.stop()
            out[(warm, delay)] = {"ready_s": ready, "first_s": first, "second_s": second}
    return out


# --- report -------------------------------------------------------------------------------------------


def export_rows(result: dict) -> list[str]:
    one, two, again = result["one"], result["two"], result["again"]
    return [
        f"| {result['label']}: `--jobs 1` | {one['wall_s']:.1f} | {one['rendered']} | {one['failed']} |",
        f"| {result['label']}: `--jobs 2` | {two['wall_s']:.1f} | {two['rendered']} | {two['failed']} |",
        f"| {result['label']}: `--jobs 2` again (all up to date) | {again['wall_s']:.1f} | "
        f"{again['rendered']} ({again['fresh']} skipped) | {again['failed']} |",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="a,b,c,d")
    parser.add_argument("--count", type=int, default=200, help="synthetic standards for part b [200]")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per point [10]")
    parser.add_argument("--idle", type=int, default=15, help="idle seconds before the delayed first PDF [15]")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    add_write_flags(parser)
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if "c" in parts and not shutil.which("wrk"):
        print("bench_exports: part c needs wrk, the HTTP benchmarking tool: install Debian's package with\n"
              "  scripts/system-packages.sh wrk\n(or apt-get install wrk), or leave part c out: --parts a,b,d",
              file=sys.stderr)
        return 2
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-exports-"))
    folder.mkdir(parents=True, exist_ok=True)
    import weasyprint

    lines = [PART, "", f"Command: `.venv/bin/python benchmarks/bench_exports.py --parts {args.parts} --count "
             f"{args.count} --seconds {args.seconds} --idle {args.idle}` ({time.strftime('%Y-%m-%d %H:%M')}, "
             f"{machine()}, WeasyPrint {weasyprint.__version__}). Load average at the start: {loadavg()}.", ""]
    summary = []
    try:
        sample = folder / "sample"
        if parts & {"a", "c", "d"}:
            sample.mkdir(exist_ok=True)
            versions = len(list((ROOT / "standards").rglob("*.yaml")))
            corpus = bench_export(sample, ROOT / "standards", f"sample corpus ({versions} versions)") \
                if "a" in parts else None
            if corpus is None:
                catalog(sample, ROOT / "standards")
                export_all(sample, 2, "exports-j2")
        rows = []
        if "a" in parts:
            rows += export_rows(corpus)
            summary.append(f"sample corpus: {corpus['speedup']:.2f}x on 2 cores (load {corpus['load']})")
        if "b" in parts:
            synthetic = folder / "synthetic"
            synthetic.mkdir(exist_ok=True)
            run([sys.executable, str(ROOT / "benchmarks" / "gen_corpus.py"), "--out", str(synthetic / "corpus"),
                 "--count", str(args.count)], environment(synthetic))
            result = bench_export(synthetic, synthetic / "corpus", f"synthetic corpus ({args.count} standards)")
            rows += export_rows(result)
            summary.append(f"synthetic corpus: {result['speedup']:.2f}x on 2 cores (load {result['load']}; "
                           f"{result['pdf_bytes'] / result['versions'] / 1024:.0f} KB per PDF on average)")
            speedup = result["speedup"]
        if rows:
            lines += ["`registry export --all` (every format of every version: PDF, HTML, CSV, JSON, YAML, CASE), "
                      "wall time of the console script into an empty exports folder:", "",
                      "| run | wall s | exports rendered | failed |", "|---|---|---|---|", *rows, ""]
            lines += [f"Speed-up of `--jobs 2` over `--jobs 1`: {'; '.join(summary)}."]
            if "b" in parts:
                lines += [f"Target >= {SPEEDUP_TARGET}x on two cores (synthetic corpus): "
                          f"{'met' if speedup >= SPEEDUP_TARGET else 'NOT met'} ({speedup:.2f}x).", ""]
        if "c" in parts:
            downloads = bench_downloads(sample, args.seconds)
            code, version = LARGEST
            lines += [f"Cached PDF downloads (`/standards/{code}/{version}.pdf`, {downloads['bytes']:,} bytes) "
                      "through the registry, and the same file from a bare Flask route that only `send_file`'s "
                      f"it; gunicorn as `registry serve` runs it (2 workers of {serve_threads()} threads), no access log, both up at once; {downloads['rounds']} rounds, in each "
                      "every connection count on both servers, the order swapped every round; the run with the "
                      f"median req/s is shown; `wrk -t2 -cN -d{args.seconds}s --latency` on the same 2 cores "
                      f"(load {downloads['load']}):", "",
                      "| server | connections | req/s (median) | req/s of each round | transfer/s | p50 | p99 | errors |",
                      "|---|---|---|---|---|---|---|---|"]
            for name, key in (("registry download", "app"), ("bare send_file", "bare")):
                for c in (8, 32):
                    r = downloads[key][c]
                    lines.append(f"| {name} | {c} | {r['rps']:,.0f} | {', '.join(f'{x:,.0f}' for x in r['all_rps'])} | "
                                 f"{r['transfer']} | {r['p50']} | {r['p99']} | {r['errors']} |")
            ratio = downloads["ratio"]
            met = "met" if min(ratio.values()) >= RATIO_TARGET else "NOT met"
            per_round = "; ".join(f"{c} connections " + ", ".join(f"{x:.0%}" for x in downloads["round_ratios"][c])
                                  for c in (8, 32))
            lines += ["", f"Registry / bare throughput: {ratio[8]:.0%} at 8 connections, {ratio[32]:.0%} at 32 "
                      f"(medians; round by round: {per_round}). "
                      f"Target >= {RATIO_TARGET:.0%}: {met}.", ""]
        if "d" in parts:
            first = bench_first_pdf(sample, args.idle)
            lines += ["The first PDF after a server start (gunicorn as `registry serve` runs it, 2 workers, empty exports folder; the largest "
                      f"standard, then `{OTHER[0]}/{OTHER[1]}.pdf`), asked for as soon as the server answers and "
                      f"after {args.idle} s idle:", "",
                      "| renderer | asked | server answers after s | first PDF s | second PDF s |",
                      "|---|---|---|---|---|"]
            for (warm, delay), r in first.items():
                lines.append(f"| {'warm (default)' if warm == '1' else 'cold (REGISTRY_RENDER_WARM=0)'} | "
                             f"{'at once' if delay == 0 else f'after {delay} s idle'} | {r['ready_s']:.1f} | "
                             f"{r['first_s']:.2f} | {r['second_s']:.2f} |")
            lines.append("")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    lines.append(f"Load average at the end: {loadavg()}.")
    report(SECTION, PART, lines, write=args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
