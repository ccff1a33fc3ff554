"""The figures drawn from the raw results: medians per query, percentiles per type, hits against FTS5 per
type, and the targets passed or failed."""

from __future__ import annotations

import statistics

from .common import TARGETS, TYPES, fmt, summary
from .fts5 import fts5_plan, fts5_uses_scan


def medians(results: dict) -> dict[str, float]:
    return {qid: statistics.median(r["times"]) for qid, r in results.items() if r.get("times")}


def by_type(queries: list[dict], values: dict[str, float]) -> dict[str, dict]:
    out = {}
    for qt in TYPES:
        out[qt] = summary([values[q["id"]] for q in queries if q["type"] == qt and q["id"] in values])
    out["all"] = summary([values[q["id"]] for q in queries if q["id"] in values])
    return out


def analyse(res: dict, queries: list[dict]) -> dict:
    a: dict = {}
    inproc = res["inproc"]["results"]
    fts = res["fts5"]["results"]
    a["inproc_ms"] = medians(inproc)
    a["fts5_ms"] = medians(fts)
    a["inproc"] = by_type(queries, a["inproc_ms"])
    a["fts5"] = by_type(queries, a["fts5_ms"])
    scans = {q["id"] for q in queries if fts5_uses_scan(fts5_plan(q))}
    a["fts5_scans"] = sorted(scans)
    a["fts5_no_scan"] = summary([v for k, v in a["fts5_ms"].items() if k not in scans])
    if "http" in res:
        a["http_ms"] = medians(res["http"]["results"])
        a["http"] = by_type(queries, a["http_ms"])
        a["http_total_mismatch"] = [q["id"] for q in queries
                                    if res["http"]["results"][q["id"]]["total"] != inproc[q["id"]]["total"]]
    recall = {}
    fewer, more = [], []
    for qt in TYPES + ["all"]:
        qs = [q for q in queries if qt == "all" or q["type"] == qt]
        p = sum(inproc[q["id"]]["total"] or 0 for q in qs)
        f = sum(fts[q["id"]]["total"] or 0 for q in qs)
        ok = [q for q in qs if inproc[q["id"]]["total"] is not None]  # errors (time limit) are listed apart
        few = [q["id"] for q in ok if inproc[q["id"]]["total"] < fts[q["id"]]["total"]]
        mor = [q["id"] for q in ok if inproc[q["id"]]["total"] > fts[q["id"]]["total"]]
        recall[qt] = {"queries": len(qs), "project": p, "fts5": f, "fewer": len(few), "more": len(mor),
                      "equal": len(ok) - len(few) - len(mor),
                      "zero_project": sum(1 for q in qs if inproc[q["id"]]["total"] == 0),
                      "zero_fts5": sum(1 for q in qs if not fts[q["id"]]["total"]),
                      "errors": sum(1 for q in qs if inproc[q["id"]]["error"])}
        if qt != "all":
            fewer += few
            more += mor
    a["recall"] = recall
    a["fewer"] = fewer
    a["more"] = more
    return a


def targets(res: dict) -> list[dict]:
    a = res["analysis"]
    rows = []
    ip = a["inproc"]["all"]["p95"]
    rows.append({"target": f"p95 in-process <= {TARGETS['inproc_p95_ms']:.0f} ms (facets included)",
                 "measured": f"{ip:.1f} ms", "ok": ip <= TARGETS["inproc_p95_ms"]})
    if "http" in a:
        hp = a["http"]["all"]["p95"]
        rows.append({"target": f"p95 through the HTTP API <= {TARGETS['http_p95_ms']:.0f} ms",
                     "measured": f"{hp:.1f} ms", "ok": hp <= TARGETS["http_p95_ms"]})
    ratio = res["bare_project"]["process"]["wall"] / res["rebuild"]["wall"]
    rows.append({"target": f"full rebuild >= {TARGETS['rebuild_ratio']}x faster than a bare single-process Whoosh "
                           "writer (same documents and analyzers, same run)",
                 "measured": f"{ratio:.2f}x ({res['rebuild']['wall']:.1f} s vs "
                             f"{res['bare_project']['process']['wall']:.1f} s)",
                 "ok": ratio >= TARGETS["rebuild_ratio"]})
    if res.get("visible"):
        s = res["visible"]["summary"]
        worst = max(x for x in (s["http_first_max"], s["service_first_max"]) if x is not None) \
            if s["http_first_max"] is not None else float("inf")
        rows.append({"target": f"publish to visible <= {TARGETS['visible_s']:.0f} s",
                     "measured": f"max {worst:.2f} s (HTTP median {fmt(s['http_first_median'], 2)} s; other process "
                                 f"median {fmt(s['service_first_median'], 2)} s)",
                     "ok": worst <= TARGETS["visible_s"] and not s["missing"]})
    # VmHWM is a peak: the workers' last reading (after the publish trials, when they ran) covers the whole run
    http = res.get("http", {})
    workers = http.get("memory_after_trials") or http.get("memory_after_queries", [])
    # a worker with its render child (on by default) is what one app process costs
    mem = [row["vmhwm_mb"] + row.get("render_child", {}).get("vmhwm_mb", 0) for row in workers] + \
        [res["inproc"]["vmhwm_mb"]]
    procs = http.get("memory_after_queries", []) + http.get("memory_after_trials", []) + [res["inproc"]]
    anon = max((p.get("rss_anon_mb", 0) for p in procs), default=0)
    rows.append({"target": f"a search process < {TARGETS['search_rss_mb']:.0f} MB",
                 "measured": f"max VmHWM {max(mem):.0f} MB (gunicorn workers with their render child, over the run: "
                             f"{', '.join(f'{x:.0f}' for x in mem[:-1]) or '–'}; in-process: {mem[-1]:.0f}); "
                             f"private anonymous memory at most {anon:.0f} MB, the rest mapped index files",
                 "ok": max(mem) < TARGETS["search_rss_mb"]})
    r = a["recall"]["all"]
    rows.append({"target": "no query finds fewer items than the FTS5 baseline",
                 "measured": f"{len(a['fewer'])} of {r['queries']} queries find fewer; hits {r['project']:,} vs "
                             f"{r['fts5']:,}", "ok": not a["fewer"]})
    return rows
