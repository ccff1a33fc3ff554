#!/usr/bin/env python3
"""Search before and after a change of the code, side by side in one run (issue 11: the search package).

    .venv/bin/python benchmarks/compare_search.py --base DIR [--count 2000] [--corpus DIR] [--rounds 3]
        [--passes 3] [--write] [--json OUT]

``--base`` is a checkout of the code before the change (``git worktree add DIR <commit>``); the code
after is this repository's. Both run on this virtualenv, on one corpus and one catalog:

 1. Each ``registry/`` is copied into a temporary folder, and every step of a code runs on its copy
    (``PYTHONPATH`` and the working directory), so edits made meanwhile do not mix versions.
 2. Corpus: gen_corpus.py (``--count``, ``--seed``), or ``--corpus DIR``; one SQLite catalog loaded with
    ``registry load`` (the catalog's schema is the same for both codes).
 3. Rounds, the two codes alternately (before then after in odd rounds, after then before in even
    ones): the full rebuild (``registry reindex``, wall time of the command) into the code's own index
    folder, then the in-process latency of the fixed query set (benchmarks/search_queries.json)
    through ``SearchService.search`` as bench_search.py measures it: one warm-up pass, ``--passes``
    timed passes, a query's latency the median of its passes, percentiles over the queries. Each step
    also records CPU time (of the rebuild's processes; of the searching thread) and the share of the
    machine other processes took meanwhile: on a shared machine wall times vary more from one round
    to the next than between two codes, CPU times much less.
 4. The two codes' answers are compared query by query (total and first page of hits): the change
    must not change a single result.

It prints markdown and replaces the "Issue 11" section of RESULTS.md (with ``--write``; the default only prints). At the
national scale (``--count 2000``) a round takes about 6 minutes on an idle 2-core machine. Run it under
the machine's exclusive lock: ``flock -x -o /work/team/machine.lock .venv/bin/python benchmarks/compare_search.py ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import loadavg, machine, status_kb  # noqa: E402
from _results import add_write_flags, write_section  # noqa: E402
from bench_search import QUERIES, TreeSampler, contention, load_queries, summary  # noqa: E402

SECTION = "## Issue 11: the search package, before and after"
#: the largest slowdown allowed, after / before (search p95 and full rebuild)
TOLERANCE = 1.05


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- the worker: latency of one code, in its own process ------------------------------------------


def worker_latency(args: dict) -> dict:
    """The query set through ``SearchService.search`` on the code this process imports."""
    import registry
    from registry.db import make_engine
    from registry.search import SearchRequest

    try:
        from registry.search.service import SearchService  # the search package
    except ImportError:
        from registry.services.search import SearchService  # the code before it

    engine = make_engine(args["database_url"])
    started = time.perf_counter()
    service = SearchService(args["index_dir"], engine)
    service.start()
    start_s = time.perf_counter() - started
    queries = load_queries(Path(args["queries"]))
    restriction = {}
    if args.get("versions"):  # name the current versions at query time (the after code only)
        from sqlmodel import select

        from registry.db import read_session
        from registry.models import VERSION_PUBLISHED, StandardVersion

        with read_session(engine) as session:
            restriction["versions"] = set(session.exec(select(StandardVersion.code, StandardVersion.version)
                                                       .where(StandardVersion.status == VERSION_PUBLISHED)).all())
    requests = [SearchRequest(q=q["q"], per_page=args["per_page"], sector=q["filters"].get("sector"),
                              level=q["filters"].get("level"), **restriction) for q in queries]
    times: dict[str, list[float]] = {q["id"]: [] for q in queries}
    cpu: dict[str, list[float]] = {q["id"]: [] for q in queries}
    answers: dict[str, list] = {}
    for pass_no in range(1 + args["passes"]):
        for q, request in zip(queries, requests):
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                result = service.search(request)
                answer = [result.total, [(h["code"], h["version"], h["kind"], h["item_id"], h["score"])
                                         for h in result.hits], result.suggestion]
            except Exception as exc:  # a 400 or 503 is an answer too
                answer = [f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"]
            elapsed, used = (time.perf_counter() - t0) * 1000, (time.thread_time() - c0) * 1000
            if pass_no:
                times[q["id"]].append(elapsed)
                cpu[q["id"]].append(used)
            else:
                answers[q["id"]] = answer
    service.close()
    engine.dispose()
    return {"registry": registry.__file__, "start_s": start_s, "times": times, "cpu": cpu, "answers": answers,
            "vmhwm_mb": status_kb("self", "VmHWM") / 1024}


# --- the parent ------------------------------------------------------------------------------------


class Code:
    """One code under test: its snapshot of ``registry/`` and its own index folder."""

    def __init__(self, name: str, source: Path, tmp: Path):
        self.name = name
        self.root = tmp / name
        shutil.copytree(source / "registry", self.root / "registry",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        self.data = tmp / f"data-{name}"
        self.data.mkdir()
        self.commit = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True,
                                     text=True).stdout.strip() or "?"
        self.dirty = bool(subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--", "registry"],
                                         capture_output=True, text=True).stdout.strip())

    def run(self, cmd: list[str], database_url: str) -> dict:
        """Run ``cmd`` on this code (its snapshot first on the path, its own data folder); with the share
        of the machine's CPU other processes took meanwhile (``others``)."""
        import bench_validate as bv

        saved = dict(os.environ), os.getcwd()
        os.environ.update({"PYTHONPATH": str(self.root), "REGISTRY_DATA_DIR": str(self.data),
                           "REGISTRY_DATABASE_URL": database_url})
        os.chdir(self.root)
        try:
            with TreeSampler() as sampler:
                done = bv.run(cmd)
            return {**done, "others": contention(sampler.result(done["cpu"]))}
        finally:
            os.environ.clear()
            os.environ.update(saved[0])
            os.chdir(saved[1])


def rebuild(code: Code, script: Path, database_url: str) -> dict:
    done = code.run([str(script), "reindex"], database_url)
    found = re.search(r"rebuilt: (\d+) documents up to change (\d+) in ([\d.]+) s with (\d+) process", done["stdout"])
    if done["rc"] or not found:
        raise RuntimeError(f"{code.name}: reindex failed: {done['stdout'][-2000:]} {done['stderr'][-3000:]}")
    return {"wall_s": done["wall"], "cpu_s": done["cpu"], "documents": int(found.group(1)),
            "internal_s": float(found.group(3)), "procs": int(found.group(4)), "others": done["others"],
            "load": loadavg()}


def latency(code: Code, database_url: str, queries: Path, passes: int, per_page: int, tmp: Path,
            versions: bool = False) -> dict:
    out = tmp / f"latency-{code.name}.json"
    args = {"database_url": database_url, "index_dir": str(code.data / "index"), "queries": str(queries),
            "passes": passes, "per_page": per_page, "versions": versions}
    done = code.run([sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(args), "--worker-out",
                     str(out)], database_url)
    if done["rc"]:
        raise RuntimeError(f"{code.name}: latency worker failed: {done['stderr'][-4000:]}")
    result = json.loads(out.read_text("utf-8"))
    out.unlink()
    if not result["registry"].startswith(str(code.root)):
        raise RuntimeError(f"{code.name}: the worker imported {result['registry']}, not the snapshot")
    medians = [statistics.median(t) for t in result["times"].values()]
    cpu = summary([statistics.median(t) for t in result["cpu"].values()])
    return {**summary(medians), "cpu_p50": cpu["p50"], "cpu_p95": cpu["p95"], "cpu_p99": cpu["p99"],
            "start_s": result["start_s"], "vmhwm_mb": result["vmhwm_mb"], "answers": result["answers"],
            "others": done["others"], "load": loadavg()}


def compare(args: argparse.Namespace) -> dict:
    import bench_validate as bv

    script = Path(sys.executable).with_name("registry")
    tmp = Path(tempfile.mkdtemp(prefix="compare-search-"))
    res: dict = {"command": "flock -x -o /work/team/machine.lock .venv/bin/python benchmarks/compare_search.py "
                            + shlex.join(args.argv),
                 "started": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "load_start": loadavg(),
                 "calibration_start_s": bv.calibrate(), "rounds": []}
    try:
        codes = {"before": Code("before", args.base.resolve(), tmp), "after": Code("after", REPO, tmp)}
        res["codes"] = {name: {"commit": c.commit, "modified": c.dirty} for name, c in codes.items()}
        if args.corpus:
            corpus, res["corpus"] = args.corpus.resolve(), f"given: {args.corpus}"
        else:
            import gen_corpus

            corpus = tmp / "corpus"
            log(f"generating {args.count} standards (seed {args.seed})")
            stats = gen_corpus.generate(corpus, args.count, args.seed, 150 * args.count, os.cpu_count() or 1)
            res["corpus"] = (f"gen_corpus.py --count {args.count} --seed {args.seed}: {stats['items']:,} items, "
                             f"sha256 {stats['sha256'][:16]}…")
        database_url = f"sqlite:///{tmp}/catalog.sqlite3"
        log("loading the catalog")
        for step in (["db", "upgrade"], ["load", str(corpus)]):
            done = codes["after"].run([str(script), *step], database_url)
            if done["rc"]:
                raise RuntimeError(f"registry {step[0]} failed: {done['stdout'][-1000:]} {done['stderr'][-2000:]}")
        for number in range(1, args.rounds + 1):
            order = ["before", "after"] if number % 2 else ["after", "before"]
            row: dict = {"round": number, "order": order}
            for name in order:
                log(f"round {number}: {name}: rebuild (load {loadavg()})")
                row[f"{name}_rebuild"] = rebuild(codes[name], script, database_url)
                log(f"    {row[f'{name}_rebuild']['wall_s']:.1f} s; latency (load {loadavg()})")
                row[f"{name}_latency"] = latency(codes[name], database_url, args.queries, args.passes, args.per_page,
                                                 tmp)
                log(f"    p95 {row[f'{name}_latency']['p95']:.2f} ms")
            res["rounds"].append(row)
        log(f"after, with the current versions named at query time (load {loadavg()})")
        res["versions"] = latency(codes["after"], database_url, args.queries, args.passes, args.per_page, tmp,
                                  versions=True)
        res["load_end"], res["calibration_end_s"] = loadavg(), bv.calibrate()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def _median(rows: list[dict], key: str, field: str) -> float:
    return statistics.median(r[key][field] for r in rows)


def report(res: dict, queries: list[dict]) -> str:
    rows = res["rounds"]
    lines = [SECTION, ""]
    w = lines.append
    w(f"Command: `{res['command']}` ({res['started']}).")
    codes = ", ".join(f"{name} {c['commit']}{' with uncommitted changes' if c['modified'] else ''}"
                      for name, c in res["codes"].items())
    w(f"Machine: {res['machine']}; load average at start {res['load_start']}, at end {res['load_end']}; CPU yardstick "
      f"{res['calibration_start_s']:.2f} s at start, {res['calibration_end_s']:.2f} s at end. Codes: {codes}.")
    w(f"Corpus: {res['corpus']}; one SQLite catalog; each code builds and searches its own index, on a copy of its "
      f"`registry/` taken at the start. Queries: {len(queries)} from `benchmarks/search_queries.json`, "
      f"{rows[0]['before_latency']['n']} timed, in-process through `SearchService.search` (facets included), one "
      "warm-up pass then the timed passes; a query's latency is its median over the passes.")
    w("")
    w("Wall times and, in parentheses, CPU times: of the whole rebuild (the command and its worker processes) "
      "and of each search (the searching thread); \"others\" is the share of the machine's CPU other processes took "
      "during the step (the machine is shared: the exclusive lock keeps benchmarks and full suites away, not "
      "other people's test runs).")
    w("")
    w("| round | order | rebuild s before / after | others during the rebuilds | search p50 ms before / after "
      "| search p95 ms before / after | others during the searches |")
    w("|---|---|---|---|---|---|---|")
    for r in rows:
        rb, ra, b, a = r["before_rebuild"], r["after_rebuild"], r["before_latency"], r["after_latency"]
        w(f"| {r['round']} | {' then '.join(r['order'])} | {rb['wall_s']:.1f} ({rb['cpu_s']:.1f}) / "
          f"{ra['wall_s']:.1f} ({ra['cpu_s']:.1f}) | {rb['others']:.0%} / {ra['others']:.0%} | "
          f"{b['p50']:.2f} ({b['cpu_p50']:.2f}) / {a['p50']:.2f} ({a['cpu_p50']:.2f}) | "
          f"{b['p95']:.2f} ({b['cpu_p95']:.2f}) / {a['p95']:.2f} ({a['cpu_p95']:.2f}) | "
          f"{b['others']:.0%} / {a['others']:.0%} |")
    w("")
    w("| target (medians over the rounds) | before | after | after / before | result |")
    w("|---|---|---|---|---|")
    for label, key, field, unit, digits in (
            ("full rebuild within 5%, wall time", "rebuild", "wall_s", "s", 1),
            ("full rebuild within 5%, CPU time", "rebuild", "cpu_s", "s", 1),
            ("search p95 within 5%, wall time", "latency", "p95", "ms", 2),
            ("search p95 within 5%, CPU time", "latency", "cpu_p95", "ms", 2)):
        before, after = _median(rows, f"before_{key}", field), _median(rows, f"after_{key}", field)
        w(f"| {label} | {before:.{digits}f} {unit} | {after:.{digits}f} {unit} | {after / before:.3f} | "
          f"{'PASS' if after / before <= TOLERANCE else 'FAIL'} |")
    same = [sum(r["before_latency"]["answers"][q] == r["after_latency"]["answers"][q] for q in r["before_latency"]
                ["answers"]) for r in rows]
    documents = {r[f"{name}_rebuild"]["documents"] for r in rows for name in ("before", "after")}
    w("")
    w(f"Same answers (total, first page with scores, suggestion) for {min(same)} of {len(queries)} queries in every "
      f"round; documents indexed: {', '.join(f'{d:,}' for d in sorted(documents))}.")
    named, last = res["versions"], rows[-1]["after_latency"]
    agree = sum(named["answers"][q] == last["answers"][q] for q in last["answers"])
    w("")
    w("The query-time version restriction (`SearchRequest(versions=...)`, the engine side of a filter by the day in "
      "force), after the rounds, on the after code: the published versions named in the request instead of the "
      f"index's current flag. p50 / p95 / p99 {named['p50']:.2f} / {named['p95']:.2f} / {named['p99']:.2f} ms "
      f"(the last round without it: {last['p50']:.2f} / {last['p95']:.2f} / {last['p99']:.2f} ms); the same answers "
      f"for {agree} of {len(queries)} queries.")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", type=Path, help="a checkout of the code before the change")
    parser.add_argument("--count", type=int, default=2000, help="standards to generate [2000]")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--corpus", type=Path, help="an existing corpus instead")
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both codes [3]")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the queries per round [3]")
    parser.add_argument("--per-page", type=int, default=10)
    add_write_flags(parser)
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        Path(args.worker_out).write_text(json.dumps(worker_latency(json.loads(args.worker))), "utf-8")
        return 0
    if args.base is None:
        parser.error("--base is required")
    args.argv = argv
    args.queries = args.queries.resolve()
    res = compare(args)
    text = report(res, load_queries(args.queries))
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n", "utf-8")
    if args.write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
