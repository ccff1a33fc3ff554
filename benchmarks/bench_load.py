#!/usr/bin/env python3
"""Issue 14, item 4: the registry under a bounded load, on the national-scale synthetic corpus.

    flock -x -o /work/team/machine.lock .venv/bin/python benchmarks/bench_load.py [--count 2000]
        [--seconds 60] [--render-seconds 60] [--users 8] [--write] [--json OUT]

Needs Locust (``.venv/bin/python -m pip install -e '.[bench]'``). Everything runs in a temporary folder
with its own SQLite catalog, on 127.0.0.1 only, and stops by itself:

1. ``gen_corpus.py`` writes the corpus (2,000 standards), plus two standards at the render size limit
   (``MAX_RENDER_ITEMS`` table entries: the worst case a render accepts); ``registry load`` and
   ``registry reindex`` make the catalog and the index.
2. ``registry serve --no-load --workers 2 --threads 4`` (gunicorn as users run it, default settings: the warm
   renderer on), and beside it a bare Flask app that only ``send_file``'s the same PDF files under
   gunicorn with 2 workers (``bare_send_file.py``). ``--pdfs`` PDFs are rendered once beforehand, so the
   downloads of the mix are cached files.
3. Locust (``locustfile.py``, headless, ``--users`` users, each waiting 0.5-1.5 s between requests)
   for ``--seconds``: 60% search pages, 25% standard pages, 10% PDF downloads, 5% API reads; each PDF
   download through the registry goes with the same file from the bare app, in random order.
   Throughput, p50/p95/p99 per kind, errors, CPU seconds of the server and of Locust, and the private
   memory (USS, PSS) of each gunicorn worker and of its render child, sampled every second (peak).
4. The same mix for ``--render-seconds`` while two worst-case renders are asked for at once (the two
   standards at the limit, not yet rendered): how long they take, what they answer, and the page and
   search percentiles meanwhile.

Targets (issue 14): p95 < 100 ms for search and pages; < 300 MB private memory per worker; no errors;
with two worst-case renders at once, the page p95 stays under 1 s. Writes the "Issue 14: load"
section of RESULTS.md with ``--write``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import hashlib
import importlib.metadata
import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import children, cpu_seconds, loadavg, machine, private_memory_mb, stop_server, verdict  # noqa: E402
from _results import add_write_flags, write_section  # noqa: E402

SECTION = "## Issue 14: load"
KINDS = ("search", "page", "pdf", "api")
LIMIT_CODES = ("8-99-99-01", "8-99-99-02")
TARGET_P95_MS = 100
TARGET_USS_MB = 300
TARGET_RENDER_PAGE_P95_MS = 1000


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 300) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def limit_standard(code: str) -> bytes:
    """A valid standard with MAX_RENDER_ITEMS table entries (as bench_render.py's document at the limit)."""
    import yaml

    from registry.loader import load_bytes
    from registry.render import MAX_RENDER_ITEMS, count_items

    doc = copy.deepcopy(load_bytes((ROOT / "tests" / "data" / "valid" / "example.yaml").read_bytes()).data)
    doc["code"] = code
    doc.pop("aliases", None)
    text = {"zh": "能根据工作要求完成规定的工作内容，并记录和分析结果。",
            "en": "Can do the work as required and record the results."}
    sections = doc["work_requirements"]["sections"]
    for section in sections:
        section["functions"] = section["functions"][:1]
        section["functions"][0]["work_contents"] = []
    # each row: the work content, its requirements, one item; the basic requirements count too
    rows = 100
    per_row = (MAX_RENDER_ITEMS - count_items(doc)) // rows - 2
    for k, section in enumerate(sections):  # the rows shared among the levels (each level keeps requirements)
        section["functions"][0]["work_contents"] = [
            {"id": f"WC-{k}-{i}", "number": f"1.{i + 1}",
             "name": {"zh": f"工作内容{k}-{i}", "en": f"Work content {k}-{i}"},
             "requirements": [{"id": f"R-{k}-{i}-{j}", "number": f"1.{i + 1}.{j + 1}", "text": text}
                              for j in range(per_row)],
             "knowledge": [{"id": f"K-{k}-{i}", "number": f"1.{i + 1}.1", "text": text}]}
            for i in range(rows // len(sections))]
    assert count_items(doc) <= MAX_RENDER_ITEMS
    class Plain(yaml.SafeDumper):  # the same text in every row, written out each time (no anchors)
        def ignore_aliases(self, data):
            return True

    return yaml.dump(doc, Dumper=Plain, allow_unicode=True, sort_keys=False).encode()


class Process:
    """A server in its own session, stopped by its pid (SIGTERM, then SIGKILL of its group)."""

    def __init__(self, cmd: list[str], env: dict, log_path: Path, cwd: Path | None = None):
        self.cmd = cmd
        self.log = open(log_path, "wb")
        self.log_path = log_path
        self.proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait(self, url: str, timeout: float = 900) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.cmd[:3]} exited: {self.log_path.read_text(errors='replace')[-3000:]}")
            try:
                if get(url, timeout=30)[0] == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{url} did not answer in time")

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def tree(self) -> list[int]:
        out, stack = [], [self.proc.pid]
        while stack:
            pid = stack.pop()
            out.append(pid)
            stack.extend(children(pid))
        return out

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.tree())

    def stop(self) -> None:
        stop_server(self.proc, self.log)


class MemorySampler(threading.Thread):
    """Every second: USS/PSS of each gunicorn worker and of each worker's render child; keeps the peaks."""

    def __init__(self, server: Process):
        super().__init__(daemon=True)
        self.server, self.stop_event = server, threading.Event()
        self.peak: dict[int, dict] = {}

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(1.0)

    def sample(self) -> None:
        for pid in self.server.workers():
            mem = private_memory_mb(pid)
            kids = [private_memory_mb(c) for c in children(pid)]
            row = {"worker_uss_mb": mem.get("uss_mb", 0), "worker_pss_mb": mem.get("pss_mb", 0),
                   "worker_rss_mb": mem.get("rss_mb", 0), "render_uss_mb": sum(k.get("uss_mb", 0) for k in kids),
                   "render_pss_mb": sum(k.get("pss_mb", 0) for k in kids), "render_children": len(kids)}
            peak = self.peak.setdefault(pid, dict(row))
            for key, value in row.items():
                peak[key] = max(peak[key], value)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.join()
        self.sample()


def run_locust(plan: Path, host: str, users: int, seconds: int, prefix: Path, tmp: Path) -> dict:
    """One headless Locust run; its CPU seconds (from wait4) and its stats per request name."""
    cmd = [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless", "-H", host,
           "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "120",
           "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"]
    with open(tmp / f"{prefix.name}.log", "wb") as out:
        proc = subprocess.Popen(cmd, env=dict(os.environ, LOAD_PLAN=str(plan)), stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = {"count": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                  "rps": float(row["Requests/s"]), "p50": float(row["50%"] or 0),
                                  "p95": float(row["95%"] or 0), "p99": float(row["99%"] or 0),
                                  "max": float(row["Max Response Time"] or 0),
                                  "bytes": float(row["Average Content Size"] or 0)}
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv", newline="") as fh:
            failures = [f"{r['Name']}: {r['Error']} x{r['Occurrences']}" for r in csv.DictReader(fh)]
    return {"cmd": shlex.join(cmd), "rc": proc.returncode, "cpu_s": usage.ru_utime + usage.ru_stime,
            "stats": stats, "failures": failures}


def phase(plan: Path, server: Process, bare: Process, users: int, seconds: int, prefix: Path, tmp: Path,
          during=None) -> dict:
    """The mix for ``seconds``, with the CPU of both servers and the workers' memory; ``during`` runs beside it."""
    cpu0, bare0, t0 = server.cpu(), bare.cpu(), time.perf_counter()
    extra: dict = {}
    side = threading.Thread(target=during, args=(extra,), daemon=True) if during else None
    with MemorySampler(server) as memory:
        if side:
            side.start()
        result = run_locust(plan, f"http://127.0.0.1:{server_port(server)}", users, seconds, prefix, tmp)
        if side:
            side.join()
    result.update(wall_s=time.perf_counter() - t0, server_cpu_s=server.cpu() - cpu0, bare_cpu_s=bare.cpu() - bare0,
                  memory=list(memory.peak.values()), load=loadavg(), **extra)
    return result


def server_port(server: Process) -> int:
    return server.port


def use_folder(tmp: Path) -> None:
    """The registry's settings for this run: its folder, and the defaults otherwise (SQLite, warm renderer on)."""
    os.environ.update({"REGISTRY_DATA_DIR": str(tmp / "data"), "REGISTRY_EXPORTS_DIR": str(tmp / "exports"),
                       "REGISTRY_LOG_LEVEL": "WARNING", "REGISTRY_SECRET_KEY": "bench-load-not-secret"})
    for key in ("REGISTRY_DATABASE_URL", "REGISTRY_RENDER_WARM"):
        os.environ.pop(key, None)


def prepare(args, tmp: Path) -> tuple[dict, Path, Path]:
    import bench_search as bs
    import gen_corpus

    corpus = tmp / "corpus"
    t = time.perf_counter()
    stats = gen_corpus.generate(corpus, args.count, args.seed, 150 * args.count, os.cpu_count() or 1)
    info = {"corpus": f"gen_corpus.py --count {args.count} --seed {args.seed}: {stats['items']:,} items, "
                      f"sha256 {stats['sha256'][:16]}… ({time.perf_counter() - t:.1f} s), plus 2 standards at the "
                      f"render size limit"}
    for code in LIMIT_CODES:
        (corpus / code).mkdir()
        (corpus / code / "1.0.yaml").write_bytes(limit_standard(code))
    data_dir = tmp / "data"
    data_dir.mkdir()
    use_folder(tmp)
    script = Path(sys.executable).with_name("registry")
    log("registry db upgrade, registry load")
    info["catalog"] = bs.step_catalog(script, corpus)
    log(f"    {info['catalog']}; registry reindex")
    info["rebuild"] = bs.step_rebuild(script, data_dir)
    log(f"    {info['rebuild']['wall']:.1f} s")
    return info, corpus, script


def reuse(tmp: Path) -> tuple[dict, Path, Path]:
    """The corpus, catalog and index of a kept folder, without its exports (the renders start cold)."""
    shutil.rmtree(tmp / "exports", ignore_errors=True)
    use_folder(tmp)
    info = json.loads((tmp / "prepare.json").read_text("utf-8"))
    info["corpus"] += f" (prepared earlier in {tmp})"
    return info, tmp / "corpus", Path(sys.executable).with_name("registry")


def make_plan(args, corpus: Path, port: int, bare_port: int, exports: Path, tmp: Path) -> dict:
    rng = random.Random(args.seed)
    codes = sorted(p.name for p in corpus.iterdir() if p.name not in LIMIT_CODES)
    queries = json.loads((HERE / "search_queries.json").read_text("utf-8"))["queries"]
    search = ["/search?" + urllib.parse.urlencode({"q": q["q"], **q["filters"]}) for q in queries]
    sample = rng.sample(codes, min(len(codes), 400))
    pages = [f"/standards/{c}" for c in sample[:200]] + [f"/standards/{c}/1.0" for c in sample[200:]]
    api = [f"/api/v1/standards/{c}" for c in sample[:200]] + [f"/api/v1/standards/{c}/versions/1.0"
                                                              for c in sample[200:]]
    pdf_codes = rng.sample(codes, args.pdfs)
    base = f"http://127.0.0.1:{port}"
    by_hash: dict[str, str] = {}
    log(f"rendering the {args.pdfs} PDFs of the mix once")
    for code in pdf_codes:
        status, body = get(f"{base}/standards/{code}/1.0.pdf")
        if status != 200:
            raise RuntimeError(f"/standards/{code}/1.0.pdf answered {status}")
        by_hash[code] = hashlib.sha256(body).hexdigest()
    on_disk = {hashlib.sha256(p.read_bytes()).hexdigest(): p.relative_to(exports).as_posix()
               for p in exports.rglob("*.pdf")}
    missing = [c for c in pdf_codes if by_hash[c] not in on_disk]
    if missing:
        raise RuntimeError(f"no cached file in the exports folder for {missing}")
    return {"search": search, "pages": pages, "api": api, "pdf": [f"/standards/{c}/1.0.pdf" for c in pdf_codes],
            "bare_pdf": [f"/files/{on_disk[by_hash[c]]}" for c in pdf_codes], "bare": f"http://127.0.0.1:{bare_port}",
            "wait_min": 0.5, "wait_max": 1.5}


def worst_case_renders(port: int, delay: float):
    """Two worst-case renders asked for at once, ``delay`` s into the phase."""
    def fire(extra: dict) -> None:
        time.sleep(delay)
        out: list = [None] * len(LIMIT_CODES)

        def one(i: int, code: str) -> None:
            t0 = time.perf_counter()
            status, body = get(f"http://127.0.0.1:{port}/standards/{code}/1.0.pdf", timeout=600)
            out[i] = {"code": code, "status": status, "s": time.perf_counter() - t0, "bytes": len(body),
                      "retry_after": None}

        threads = [threading.Thread(target=one, args=(i, c)) for i, c in enumerate(LIMIT_CODES)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        extra["renders"] = out
    return fire


def fmt_ms(x: float) -> str:
    return f"{x:,.0f}"


def report(res: dict) -> str:
    a, b = res["steady"], res["renders"]
    lines = [SECTION, "",
             f"Command: `{res['command']}` ({res['started']}, {machine()}; run under the machine's exclusive lock). "
             f"Load average before / after: {res['load_start']} / {res['load_end']}.", "",
             f"Corpus: {res['prepare']['corpus']}. Catalog: SQLite; `registry load` {res['prepare']['catalog']['load_s']:.0f} s, "
             f"`registry reindex` {res['prepare']['rebuild']['wall']:.0f} s.", "",
             f"Server: `{res['serve_cmd']}` ("
             + f"gunicorn as `registry serve` runs it: {res['workers']} workers of {res['threads']} threads (gthread)"
             + f", default settings, warm renderer on). Beside it: `{res['bare_cmd']}`. Locust {res['locust_version']} "
             f"(`benchmarks/locustfile.py`, FastHttpUser) with {res['users']} users, each waiting 0.5-1.5 s between "
             f"requests, on the same 2 cores as the servers: 60% search pages (`/search?q=...`, the 390 queries of "
             f"`search_queries.json`), 25% standard pages, 10% PDF downloads (20 PDFs rendered beforehand: cached), "
             f"5% API reads; each PDF download through the registry goes with the same file from the bare app, "
             f"in random order. Locust's percentiles are its own (rounded to 2 significant digits above 100 ms); when a phase ends, Locust lets the requests under way finish (up to 120 s) and counts them, so a request held up by a render is in the figures.", ""]
    for title, p in ((f"Steady mix, {res['seconds']} s", a),
                     (f"The same mix for {res['render_seconds']} s with two worst-case renders asked for at once", b)):
        lines += [f"### {title}", "",
                  f"Wall {p['wall_s']:.0f} s; CPU seconds: registry server {p['server_cpu_s']:.1f} (master, workers, "
                  f"render children), bare app {p['bare_cpu_s']:.1f}, Locust {p['cpu_s']:.1f}; load average after "
                  f"{p['load']}. Locust exit code {p['rc']}.", "",
                  "| kind | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors |", "|---|---|---|---|---|---|---|---|"]
        for name in (*KINDS, "pdf bare send_file", "Aggregated"):
            s = p["stats"].get(name)
            if s:
                lines.append(f"| {name} | {s['count']:,} | {s['rps']:.1f} | {fmt_ms(s['p50'])} | {fmt_ms(s['p95'])} | "
                             f"{fmt_ms(s['p99'])} | {fmt_ms(s['max'])} | {s['failures']} |")
        if p["failures"]:
            lines += ["", "Errors: " + "; ".join(p["failures"][:10])]
        lines += ["", "| gunicorn worker | USS MB (peak) | PSS MB (peak) | RSS MB (peak) | its render child: USS MB | PSS MB |",
                  "|---|---|---|---|---|---|"]
        for i, m in enumerate(p["memory"], 1):
            lines.append(f"| {i} | {m['worker_uss_mb']:.0f} | {m['worker_pss_mb']:.0f} | {m['worker_rss_mb']:.0f} | "
                         f"{m['render_uss_mb']:.0f} | {m['render_pss_mb']:.0f} |")
        if p.get("renders"):
            lines += ["", "Worst-case renders (" + ", ".join(
                f"`/standards/{r['code']}/1.0.pdf`: {r['status']} after {r['s']:.1f} s, {r['bytes']:,} bytes"
                for r in p["renders"]) + f"), asked for {res['render_delay']:.0f} s into the phase."]
        lines.append("")
    s = a["stats"]
    ratio = s["pdf"]["rps"] and s["pdf bare send_file"]["p50"] and s["pdf"]["p50"] / s["pdf bare send_file"]["p50"]
    lines += [f"Cached PDF downloads against bare `send_file` in the same run (same files, same requests): p50 "
              f"{fmt_ms(s['pdf']['p50'])} / {fmt_ms(s['pdf bare send_file']['p50'])} ms, p95 {fmt_ms(s['pdf']['p95'])} / "
              f"{fmt_ms(s['pdf bare send_file']['p95'])} ms (registry / bare; p50 ratio {ratio:.2f}).", "",
              "Targets:"]
    for t in res["targets"]:
        lines.append(f"- {t['what']}: {t['value']} -> {verdict(t['ok'])}")
    return "\n".join(lines) + "\n"


def targets(res: dict) -> list[dict]:
    a, b = res["steady"]["stats"], res["renders"]["stats"]
    errors = sum(a[k]["failures"] for k in a if k != "Aggregated") + sum(b[k]["failures"] for k in b if k != "Aggregated")
    peak = max(max(m["worker_uss_mb"] for m in p["memory"]) for p in (res["steady"], res["renders"]))
    return [
        {"what": "search p95 < 100 ms (steady mix)", "value": f"{a['search']['p95']:.0f} ms",
         "ok": a["search"]["p95"] < TARGET_P95_MS},
        {"what": "standard pages p95 < 100 ms (steady mix)", "value": f"{a['page']['p95']:.0f} ms",
         "ok": a["page"]["p95"] < TARGET_P95_MS},
        {"what": "no errors (both phases)", "value": str(errors), "ok": errors == 0},
        {"what": "private memory (USS) per gunicorn worker < 300 MB, peak", "value": f"{peak:.0f} MB",
         "ok": peak < TARGET_USS_MB},
        # Locust's users are a closed loop: a user held by a stuck search sends no page meanwhile, so the pages
        # alone would look better than they are; the worse of pages and searches is judged, and errors fail it
        {"what": "page (and search) p95 < 1 s with two worst-case renders at once, no request held past "
                 "Locust's 60 s timeout",
         "value": f"pages {b['page']['p95']:.0f} ms, searches {b['search']['p95']:.0f} ms, "
                  f"{sum(b[k]['failures'] for k in KINDS if k in b)} failed",
         "ok": max(b["page"]["p95"], b["search"]["p95"]) < TARGET_RENDER_PAGE_P95_MS
         and not any(b[k]["failures"] for k in KINDS if k in b)},
    ]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="standards to generate [2000]")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--seconds", type=int, default=60, help="the steady mix [60]")
    parser.add_argument("--render-seconds", type=int, default=60, help="the mix with two worst-case renders [60]")
    parser.add_argument("--render-delay", type=float, default=5.0, help="when the renders are asked for [5 s]")
    parser.add_argument("--users", type=int, default=8, help="Locust users [8]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument("--pdfs", type=int, default=20, help="PDFs in the mix, rendered beforehand [20]")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (registry serve --threads) [4]")
    parser.add_argument("--tmp", type=Path, default=None)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--prepared", type=Path, default=None,
                        help="reuse a folder kept (--keep) by an earlier run with the same --count and --seed: "
                             "its corpus, catalog and index; its PDFs are deleted first")
    add_write_flags(parser)
    args = parser.parse_args(argv)
    try:  # not imported here: importing locust monkey-patches this process (gevent)
        locust_version = importlib.metadata.version("locust")
    except importlib.metadata.PackageNotFoundError:
        parser.error("Locust is missing: .venv/bin/python -m pip install -e '.[bench]'")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    res: dict = {"command": ".venv/bin/python benchmarks/bench_load.py" + (" " + shlex.join(argv) if argv else ""),
                 "started": time.strftime("%Y-%m-%d %H:%M"), "load_start": loadavg(), "users": args.users,
                 "seconds": args.seconds, "render_seconds": args.render_seconds, "render_delay": args.render_delay,
                 "workers": args.workers, "threads": args.threads, "locust_version": locust_version}
    tmp = args.prepared or Path(tempfile.mkdtemp(prefix="bench-load-", dir=args.tmp))
    log(f"temporary folder {tmp}")
    server = bare = None
    try:
        if args.prepared:  # a folder kept by an earlier run: its corpus, catalog and index, no PDF yet
            res["prepare"], corpus, script = reuse(tmp)
        else:
            res["prepare"], corpus, script = prepare(args, tmp)
            (tmp / "prepare.json").write_text(json.dumps(res["prepare"], default=str), "utf-8")
        port, bare_port = free_port(), free_port()
        serve = [str(script), "serve", "--no-load", "--workers", str(args.workers), "--threads", str(args.threads),
                 "--port", str(port)]
        res["serve_cmd"] = "registry " + shlex.join(serve[1:])
        server = Process(serve, os.environ.copy(), tmp / "serve.log")
        server.port = port
        log("waiting for the server (index opened)")
        res["ready_s"] = server.wait(f"http://127.0.0.1:{port}/api/v1/search?q=data&per_page=1")
        exports = tmp / "exports"
        plan = make_plan(args, corpus, port, bare_port, exports, tmp)
        bare_cmd = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", str(args.threads),
                    "--bind", f"127.0.0.1:{bare_port}",
                    "--access-logfile", "-", "--chdir", str(HERE), "bare_send_file:app"]
        bare = Process(bare_cmd, dict(os.environ, BARE_DIR=str(exports)), tmp / "bare.log")
        res["bare_cmd"] = (f"BARE_DIR=exports gunicorn --workers {args.workers} --threads {args.threads} "
                          "--access-logfile - bare_send_file:app")
        bare.wait(plan["bare"] + plan["bare_pdf"][0])
        plan_path = tmp / "plan.json"
        plan_path.write_text(json.dumps(plan), "utf-8")
        log("warm-up: 10 s of the mix (not recorded)")
        run_locust(plan_path, f"http://127.0.0.1:{port}", args.users, 10, tmp / "warmup", tmp)
        log(f"steady mix, {args.seconds} s (load {loadavg()})")
        res["steady"] = phase(plan_path, server, bare, args.users, args.seconds, tmp / "steady", tmp)
        log(f"    {res['steady']['stats'].get('Aggregated')}")
        log(f"the mix with two worst-case renders, {args.render_seconds} s (load {loadavg()})")
        res["renders"] = phase(plan_path, server, bare, args.users, args.render_seconds, tmp / "renders", tmp,
                               during=worst_case_renders(port, args.render_delay))
        log(f"    {res['renders'].get('renders')}")
        res["load_end"] = loadavg()
        res["targets"] = targets(res)
    finally:
        for proc in (server, bare):
            if proc is not None:
                proc.stop()
        if args.keep or args.prepared:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    text = report(res)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, default=str) + "\n", "utf-8")
    if args.write:
        write_section(SECTION, text)
        log(f"wrote the '{SECTION}' section of RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
