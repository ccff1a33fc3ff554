"""In-process latency (step 5): ``SearchService.search`` over the query set in one process, the FTS5
baseline interleaved with it query by query, then cProfile of each query type (where the time goes)."""

from __future__ import annotations

import cProfile
import os
import pstats
import re
import sqlite3
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

from .common import REPO, TYPE_LABELS, TYPES, mem_info, summary
from .fts5 import fts5_plan, fts5_query
from .queries import load_queries


def _request(query: dict, per_page: int):
    from registry.search import SearchRequest

    return SearchRequest(q=query["q"], per_page=per_page, sector=query["filters"].get("sector"),
                         level=query["filters"].get("level"))


#: the phases of a search, from cProfile (function name, file suffix)
PHASES = [
    ("SearchService.search (everything)", "search", "search/service.py"),
    ("the current index view (current)", "current", "search/whoosh/views.py"),
    ("parse the query (parse_query)", "parse_query", "search/query.py"),
    ("compile it (term lookups, expansions)", "compile", "search/whoosh/compiler.py"),
    ("boost clauses (boosts)", "boosts", "search/whoosh/compiler.py"),
    ("matching + scoring (Searcher.search_with_collector)", "search_with_collector", "whoosh/searching.py"),
    ("  of which BM25 scores (scoring.py score)", "score", "whoosh/scoring.py"),
    ("    of which field lengths (doc_field_length)", "doc_field_length", "whoosh/codec/whoosh3.py"),
    ("  of which phrase positions (spans _get_spans)", "_get_spans", "whoosh/query/spans.py"),
    ("  of which posting blocks unpickled (pickle.loads)", "<built-in method _pickle.loads>", "~"),
    ("evaluation over the mirrors (Layout.matches)", "matches", "search/layout.py"),
    ("facet counts (FacetCombinations.counts)", "counts", "search/facets.py"),
    ("hits: JSON decode, language, snippets (hit)", "hit", "search/highlight.py"),
    ("  of which snippets (snippet)", "snippet", "search/highlight.py"),
    ("did-you-mean (suggest)", "suggest", "search/suggest.py"),
]


def profile_calls(fn, items) -> dict:
    profiler = cProfile.Profile()
    profiler.enable()
    for item in items:
        try:
            fn(item)
        except Exception:
            pass
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    phases = []
    for label, name, suffix in PHASES:
        # the largest entry of that name (same-named functions may call each other: no sum)
        cum = max((ct for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
                   if func == name and filename.replace(os.sep, "/").endswith(suffix)), default=0.0)
        phases.append({"phase": label, "cumtime_s": cum})
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        where = filename
        for root in (str(REPO) + os.sep, os.sep + "site-packages" + os.sep):
            if root in filename:
                where = filename.split(root, 1)[1]
        if "/registry/" in filename:  # the run's snapshot of the package, or the repository's
            where = "registry/" + filename.rsplit("/registry/", 1)[1]
        rows.append({"tottime_s": tt, "cumtime_s": ct, "calls": nc, "function": f"{where}:{line}({func})"})
    funcs: dict[str, float] = {}  # the project's own functions, by cumulative time (for the phase table)
    for row in rows:
        if row["function"].startswith("registry/") and "(<" not in row["function"] and \
                row["cumtime_s"] >= 0.01 * total:  # named functions only (no listcomp, lambda, genexpr)
            name = re.sub(r":\d+\(", ":(", row["function"])
            funcs[name] = max(funcs.get(name, 0.0), row["cumtime_s"])
    top_tt = sorted(rows, key=lambda r: -r["tottime_s"])[:15]
    top_ct = sorted((r for r in rows if not r["function"].startswith("benchmarks/")),  # the benchmark's own
                    key=lambda r: -r["cumtime_s"])[:15]
    return {"total_s": total, "phases": phases, "top_tottime": top_tt, "top_cumtime": top_ct, "functions": funcs}


def worker_inproc(args: dict) -> dict:
    """Latency through SearchService.search, in this process; then cProfile of the slowest types."""
    from registry.db import make_engine
    from registry.search.service import SearchService

    engine = make_engine(args["database_url"])
    t = time.perf_counter()
    service = SearchService(args["index_dir"], engine)
    service.start()
    start_s = time.perf_counter() - t
    queries = load_queries(Path(args["queries"]))
    per_page = args["per_page"]
    requests = [_request(q, per_page) for q in queries]
    t = time.perf_counter()
    service.search(requests[0])
    first_s = time.perf_counter() - t
    results = {q["id"]: {"times": [], "cpu": [], "total": None, "shown": None, "error": None, "facets": None}
               for q in queries}
    # the FTS5 baseline in the same process, interleaved per query (the order swapped every query and every
    # pass), so that both engines see the same machine at the same moment; CPU seconds of this thread beside wall
    fts = sqlite3.connect(args["fts_db"]) if args.get("fts_db") else None
    plans = [fts5_plan(q) for q in queries] if fts else []
    fts_results = {q["id"]: {"times": [], "cpu": [], "total": None, "shown": None} for q in queries}

    def project(q, request, timed):
        r = results[q["id"]]
        c0, t0 = time.thread_time(), time.perf_counter()
        try:
            res = service.search(request)
            dt = time.perf_counter() - t0
            r["total"], r["shown"] = res.total, len(res.hits)
            r["facets"] = sum(len(v) for v in res.facets.values())
        except Exception as exc:  # a 400 (time limit, syntax) or 503 is part of the result
            dt = time.perf_counter() - t0
            r["error"] = f"{type(exc).__name__}: {getattr(exc, 'message', exc)}"
        if timed:
            r["times"].append(dt * 1000)
            r["cpu"].append((time.thread_time() - c0) * 1000)

    def baseline(i, q, timed):
        r = fts_results[q["id"]]
        c0, t0 = time.thread_time(), time.perf_counter()
        r["total"], r["shown"] = fts5_query(fts, plans[i], per_page)
        if timed:
            r["times"].append((time.perf_counter() - t0) * 1000)
            r["cpu"].append((time.thread_time() - c0) * 1000)

    for pass_no in range(args["warmup"] + args["passes"]):
        timed = pass_no >= args["warmup"]
        for i, (q, request) in enumerate(zip(queries, requests)):
            if fts is not None and (i + pass_no) % 2:
                baseline(i, q, timed)
                project(q, request, timed)
            else:
                project(q, request, timed)
                if fts is not None:
                    baseline(i, q, timed)
    mem = mem_info("self")
    out = {"start_s": start_s, "first_query_s": first_s, "results": results, **mem}
    if fts is not None:
        fts.close()
        out["fts5_results"] = fts_results

    # where the time goes: one profiled pass per type; the top functions of the slowest types
    if args.get("profile", True):
        by_type: dict[str, list] = defaultdict(list)
        for q, request in zip(queries, requests):
            by_type[q["type"]].append(request)
        medians = {qt: summary([statistics.median(results[q["id"]]["times"]) for q in queries if q["type"] == qt])
                   for qt in by_type}
        slowest = sorted((qt for qt in by_type if qt != "misspelt"), key=lambda qt: -medians[qt]["p95"])[:2]
        out["profile"] = {"types": {}, "slowest": slowest}
        for qt in TYPES:
            if qt in by_type:
                prof = profile_calls(service.search, by_type[qt])
                if qt not in slowest:
                    prof.pop("top_tottime")
                    prof.pop("top_cumtime")
                prof["queries"] = len(by_type[qt])
                out["profile"]["types"][qt] = prof
    service.close()
    engine.dispose()
    return out


def profile_section(res: dict) -> list[str]:
    """Where the time goes: the cProfile pass per query type (none with --no-profile)."""
    lines: list[str] = []
    w = lines.append
    prof = res["inproc"].get("profile")
    if prof:
        w("### Where the time goes (cProfile, in-process)")
        w("")
        w("One profiled pass per query type through `SearchService.search`; cumulative seconds of the main steps "
          "(the profiler inflates pure-Python code, so read shares, not absolute times).")
        w("")
        types = [qt for qt in TYPES if qt in prof["types"]]
        w("| step | " + " | ".join(TYPE_LABELS[qt] for qt in types) + " |")
        w("|---|" + "---|" * len(types))
        for i, (label, _name, _suffix) in enumerate(PHASES):
            if i and all(prof["types"][qt]["phases"][i]["cumtime_s"] < 0.005 for qt in types):
                continue  # a step this engine does not have (or that costs nothing)
            cells = []
            for qt in types:
                pt = prof["types"][qt]
                total = pt["phases"][0]["cumtime_s"] or 1e-9
                val = pt["phases"][i]["cumtime_s"]
                cells.append(f"{val:.2f} s" + ("" if i == 0 else f" ({100 * val / total:.0f}%)"))
            w(f"| {label} | " + " | ".join(cells) + " |")
        w("")
        if all("functions" in prof["types"][qt] for qt in types):
            totals = {qt: prof["types"][qt]["phases"][0]["cumtime_s"] or 1e-9 for qt in types}
            counts = Counter(name for qt in types for name, cum in prof["types"][qt]["functions"].items()
                             if cum >= 0.9 * totals[qt])
            wrappers = {name for name, n in counts.items() if n >= len(types) / 2}
            chosen: list[str] = []
            for qt in types:
                funcs = prof["types"][qt]["functions"]
                for name in sorted((n for n in funcs if n not in wrappers), key=lambda n: -funcs[n])[:6]:
                    if name not in chosen:
                        chosen.append(name)
            chosen.sort(key=lambda n: -sum(prof["types"][qt]["functions"].get(n, 0) / totals[qt] for qt in types))
            w("The project's own functions that take the most time (cumulative, share of the type's total; "
              "functions that only wrap the whole search are left out):")
            w("")
            w("| function | " + " | ".join(TYPE_LABELS[qt] for qt in types) + " |")
            w("|---|" + "---|" * len(types))
            for name in chosen[:14]:
                cells = [f"{100 * prof['types'][qt]['functions'].get(name, 0) / totals[qt]:.0f}%" for qt in types]
                w(f"| `{name}` | " + " | ".join(cells) + " |")
            w("")
        for qt in prof["slowest"]:
            pt = prof["types"][qt]
            w(f"Top functions by own time, {TYPE_LABELS[qt]} ({pt['queries']} queries, profiled total "
              f"{pt['total_s']:.2f} s):")
            w("")
            w("| own s | cumulative s | calls | function |")
            w("|---|---|---|---|")
            for row in pt["top_tottime"][:12]:
                w(f"| {row['tottime_s']:.2f} | {row['cumtime_s']:.2f} | {row['calls']:,} | `{row['function']}` |")
            w("")
    return lines
