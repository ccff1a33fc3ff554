#!/usr/bin/env python3
"""Benchmark search at national scale (issue 4, item 6), with SQLite FTS5 as the baseline in the same run.

    .venv/bin/python benchmarks/bench_search.py [--count 2000] [--corpus DIR] [--database-url URL]
        [--passes 3] [--trials 5] [--quick] [--write] [--json OUT]

Run it from the repository root with the project's virtualenv. What one run does, in order:

 1. Corpus: gen_corpus.py (--count, --seed), or --corpus DIR.
 2. Catalog: ``registry db upgrade`` + ``registry load CORPUS`` into a fresh SQLite file in a temporary
    REGISTRY_DATA_DIR (or into --database-url, which must be an empty PostgreSQL database). Timed on its own.
 3. Full index build, each in its own process, one after the other, with peak memory:
      * the project's rebuild: ``registry reindex`` (whatever number of processes it picks);
      * a bare single-process Whoosh writer (``ix.writer()`` defaults, ``commit()``) over the same
        documents (``registry.search.documents.document_from``) with the project's schema and analyzers
        (``registry.search.whoosh.schema.make_schema``), and, unless --quick, the same with Whoosh's plain
        ``StemmingAnalyzer`` on the text fields (no Chinese segmentation), for context.
    Index size on disk (the generation the project's rebuild swapped in).
 4. SQLite FTS5 baseline, in its own process: the same documents (every current item and standard),
    an English table (``porter unicode61``) and a Chinese table (``trigram``), the same queries
    translated to FTS5 (see ``fts5_plan``), top 10 by ``ORDER BY rank`` + reading one stored field
    per hit + a ``count(*)`` for the total.
 5. In-process latency, in its own process: ``SearchService.search`` (what GET /api/v1/search calls,
    with facets, catch-up check and highlighting), one warm-up pass then --passes timed passes over
    the fixed query set (benchmarks/search_queries.json); a query's latency is its median over the
    passes; p50/p95/p99 over the queries, overall and per type. Then cProfile of the slowest types.
 6. HTTP latency: the app under gunicorn started the way ``registry serve`` starts it (--http-workers
    threaded workers of ``registry serve``'s default ``--threads 4``, its gunicorn configuration), a
    Python http.client client (one kept-alive connection, sequential), the same passes; then, unless
    --quick, one pass with 2 concurrent clients for throughput. Peak memory (VmHWM) of the workers.
 7. Recall: hit totals side by side with FTS5, per type and per query; for every query where the
    project finds fewer items, examples of the items it misses (found through the API with a code
    filter) and the project's terms for them.
 8. Publish-to-visible: with the app running, publish a new version through the API (draft, submit,
    approve, publish), while two other processes poll: one through HTTP, one with its own
    ``SearchService`` (another app process on the same data directory); --trials times.
 9. Report: markdown tables, ratios, pass/fail per target, machine info and load average; the
    "## Issue 4: search" section of benchmarks/RESULTS.md is replaced with --write (the default only prints).

The query set is fixed: ``--make-queries`` regenerates benchmarks/search_queries.json from the
generator's vocabulary with a fixed seed (same file every time); the benchmark only reads it.

Heavy steps run in child processes of this script (``--worker NAME``) so that each one's memory and
time are its own. This file is the entry point (command line, workers); the steps are in the
package benchmarks/search/, one module per job. The machine may be shared: the load average and a
CPU yardstick are printed at the start and the end; rerun when both are low.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _results import RESULTS, add_write_flags, write_section  # noqa: E402
from search.build import step_rebuild, worker_bare, worker_merge, worker_warm  # noqa: E402
from search.catalog import step_catalog  # noqa: E402
from search.common import QUERIES, SECTION, log, summary  # noqa: E402
from search.fts5 import worker_fts5  # noqa: E402
from search.inproc import worker_inproc  # noqa: E402
from search.processes import TreeSampler, contention  # noqa: E402
from search.queries import load_queries, make_queries  # noqa: E402
from search.report import report  # noqa: E402
from search.run import measure  # noqa: E402
from search.server import app_factory  # noqa: E402
from search.visible import worker_poll  # noqa: E402

#: what other scripts use of this one: bench_load.py (the catalog and rebuild steps), compare_search.py (the
#: query set, the CPU sampler, percentiles), and gunicorn (``bench_search:app_factory()``)
__all__ = ["QUERIES", "TreeSampler", "app_factory", "contention", "load_queries", "main", "step_catalog",
           "step_rebuild", "summary"]

#: the steps that run in a child process of their own: ``bench_search.py --worker NAME``
WORKERS = {"warm": worker_warm, "bare": worker_bare, "merge": worker_merge, "fts5": worker_fts5, "inproc": worker_inproc,
           "poll": worker_poll}


def worker_main(name: str, args_json: str, out: str | None) -> int:
    result = WORKERS[name](json.loads(args_json))
    text = json.dumps(result, ensure_ascii=False, default=str)
    if out:
        Path(out).write_text(text, "utf-8")
    else:
        print(text, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="an existing corpus folder (default: generate one)")
    parser.add_argument("--count", type=int, default=2000, help="standards to generate [2000]")
    parser.add_argument("--seed", type=int, default=42, help="corpus seed [42]")
    parser.add_argument("--tmp", type=Path, default=None, help="where the temporary folder goes [system temp dir]")
    parser.add_argument("--database-url", default="",
                        help="an EMPTY PostgreSQL database for the catalog [an SQLite file in the temporary data dir]")
    parser.add_argument("--queries", type=Path, default=QUERIES, help="the query set [benchmarks/search_queries.json]")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over the queries [3]")
    parser.add_argument("--warmup", type=int, default=1, help="warm-up passes [1]")
    parser.add_argument("--per-page", type=int, default=10, help="hits per query [10]")
    parser.add_argument("--trials", type=int, default=5, help="publish-to-visible trials [5]")
    parser.add_argument("--http-workers", type=int, default=2, help="gunicorn workers, threaded as `registry serve` runs them [2]")
    parser.add_argument("--quick", action="store_true",
                        help="skip the extras: the StemmingAnalyzer writer and the concurrent HTTP pass")
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile pass")
    parser.add_argument("--build-retries", type=int, default=1,
                        help="times to run a build again when other processes took over 10%% of the CPU [1]")
    add_write_flags(parser)
    parser.add_argument("--json", type=Path, help="also write every figure as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    parser.add_argument("--make-queries", action="store_true", help="(re)write the query set file and exit")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-args", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker, args.worker_args or "{}", args.worker_out)
    if args.make_queries:
        data = make_queries()
        args.queries.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", "utf-8")
        print(f"{args.queries}: {len(data['queries'])} queries {data['counts']}")
        return 0

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `kill` still cleans up
    script = Path(sys.executable).with_name("registry")
    if not script.exists():
        parser.error("no `registry` console script next to this Python; run with .venv/bin/python")
    queries = load_queries(args.queries)
    res = measure(args, argv, script, queries)
    text = report(res, queries)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n", "utf-8")
    if args.write:
        write_section(SECTION, text)
        log(f"wrote the '{SECTION}' section of {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
