"""The report (step 9): the markdown section of benchmarks/RESULTS.md, "## Issue 4: search". This module writes
its frame (command, machine, corpus, targets), the index build, latency and memory tables; the recall,
publish-to-visible and profile tables come from the steps that measure them."""

from __future__ import annotations

import statistics

from _machine import verdict

from .common import SECTION, TYPE_LABELS, TYPES, fmt, summary
from .inproc import profile_section
from .processes import contention
from .recall import recall_section
from .visible import visible_section


def others(use: dict | None) -> str:
    if not use:
        return "–"
    share = 100 * use["others_cpu_s"] / max(use["machine_total_s"], 1e-9)
    return f"{use['others_cpu_s']:.0f} ({share:.0f}% of the machine)"


def report(res: dict, queries: list[dict]) -> str:
    """The whole section, as printed and as ``--write`` puts it into RESULTS.md."""
    lines = (header_section(res, queries) + build_section(res) + latency_section(res, queries)
             + recall_section(res, queries) + visible_section(res) + memory_section(res) + profile_section(res))
    if res.get("notes"):
        lines += [*res["notes"], ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def header_section(res: dict, queries: list[dict]) -> list[str]:
    """The section heading, what was run on what, and the targets."""
    lines: list[str] = []
    w = lines.append
    m = res["machine"]
    w(SECTION)
    w("")
    w(f"Command: `{res['command']}` ({res['started']}, {m['host']}).")
    w(f"Machine: {m['cpu']}, {m['nproc']} cores, {m['memory_gb']:.0f} GB; Python {m['python']}, Whoosh-Reloaded "
      f"{m['whoosh']}, jieba {m['jieba']}, OpenCC {m['opencc']}, gunicorn {m['gunicorn']}, SQLite {m['sqlite']}. "
      f"Load average at start {m['load_start']}, at end {res.get('load_end')}; CPU yardstick (10M-addition Python "
      f"loop, CPU s, lower = faster) {m['calibration_start_s']:.2f} at start, "
      f"{res.get('calibration_end_s', float('nan')):.2f} "
      f"at end. The machine is shared: read wall times against the load average.")
    c = res["corpus"]
    cat = res["catalog"]
    w(f"Corpus: {c['files']:,} standards, {c['bytes'] / 1e6:.1f} MB of YAML, {c['source']}. Catalog: "
      f"{res['database']} loaded with `registry load` in {cat['load_s']:.1f} s (`{cat['output']}`; "
      f"`registry db upgrade` {cat['upgrade_s']:.1f} s), not part of the index figures. "
      f"Index documents: {res['rebuild']['documents']:,} (`document_from`: one per requirement and knowledge item, "
      f"basic knowledge included, one per standard, and a meta document); the "
      f"{res['fts5']['build']['documents']:,} current "
      f"ones (" + ", ".join(f"{n:,} {k}" for k, n in sorted(res['fts5']['build'].get('kinds', {}).items())) +
      ") are what both engines search.")
    w(f"Queries: {len(queries)} from `benchmarks/search_queries.json` (" +
      ", ".join(f"{TYPE_LABELS[t]} {sum(1 for q in queries if q['type'] == t)}" for t in TYPES) +
      f"), {res['args']['per_page']} hits per page, facets included; one warm-up pass then "
      f"{res['args']['passes']} timed passes; a query's latency is its median over the passes, and the "
      "percentiles are over the queries.")
    eng = res.get("engine")
    if eng:
        w(f"Engine: a copy of `registry/` taken when the run started (commit {eng['commit']}"
          + (" plus uncommitted changes" if eng["modified"] else "") + "; sha256 "
          + ", ".join(f"`{k}` {v}" for k, v in eng["sha256"].items())
          + "); every step runs on that copy, so edits made meanwhile do not mix versions.")
    if res.get("workarounds"):
        w("Wiring not in place yet, worked around in the benchmark: " + "; ".join(res["workarounds"]) + ".")
    w("")

    # the targets, each passed or failed
    t = res["targets"]
    w("| target | measured | result |")
    w("|---|---|---|")
    for row in t:
        w(f"| {row['target']} | {row['measured']} | {verdict(row['ok'])} |")
    w("")
    return lines


def build_section(res: dict) -> list[str]:
    """The full index build: the project's rebuild beside the bare writers and FTS5."""
    lines: list[str] = []
    w = lines.append
    rb = res["rebuild"]
    w("### Full index build")
    w("")
    w("Each build in its own process, one after the other, over the same catalog. Wall and CPU time of the whole "
      "process; peak RSS of the largest single process (GNU time) and of the whole process tree (sampled every 20 ms).")
    w("")
    w("| build | wall s | CPU s | other processes' CPU s meanwhile | documents | docs/s | index MB | segments "
      "| peak RSS MB (largest / tree) | notes |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    w(f"| project: {rb['how']}, {rb['procs']} process(es) | {rb['wall']:.1f} | {rb['cpu']:.1f} | "
      f"{others(rb.get('cpu_use'))} | {rb['documents']:,} | "
      f"{rb['documents'] / rb['wall']:,.0f} | {rb['index_bytes'] / 1e6:.1f} | {rb['segments']} | "
      f"{fmt(rb['maxrss_mb'], 0)} / {fmt(rb['tree_rss_mb'], 0)} | its own timer: {rb['internal_s']:.1f} s |")
    for key, label in (("bare_project", "bare Whoosh writer, 1 process, the project's schema and analyzers (jieba)"),
                       ("bare_project_2", "bare Whoosh writer, 2 processes (Whoosh's MpWriter, its commit merges into "
                                          "one segment), the project's schema and analyzers"),
                       ("bare_stemming", "bare Whoosh writer, 1 process, StemmingAnalyzer on body/title "
                                         "(no Chinese segmentation)")):
        if key in res:
            b = res[key]
            p = b["process"]
            w(f"| {label} | {p['wall']:.1f} | {p['cpu']:.1f} | {others(p.get('cpu_use'))} | {b['documents']:,} | "
              f"{b['documents'] / p['wall']:,.0f} | {b['index_bytes'] / 1e6:.1f} | {b['segments']} | "
              f"{fmt(p['maxrss_mb'], 0)} / {fmt(p['tree_rss_mb'], 0)} | catalog read {b['read_s']:.1f} s + "
              f"document_from {b['docs_s']:.1f} s + add_document {b['add_s']:.1f} s + "
              f"commit {b['commit_s']:.1f} s |")
    if "merge" in res:
        mg = res["merge"]
        w(f"| the rebuilt index merged into one segment afterwards (Whoosh `optimize` on a copy) | "
          f"{mg['process']['wall']:.1f} | {mg['process']['cpu']:.1f} | {others(mg['process'].get('cpu_use'))} | "
          f"{mg['documents']:,} | – | {mg['index_bytes'] / 1e6:.1f} | {mg['segments']} | "
          f"{fmt(mg['process']['maxrss_mb'], 0)} / {fmt(mg['process']['tree_rss_mb'], 0)} | "
          f"from {mg['bytes_before'] / 1e6:.1f} MB in {mg['segments_before']} segments |")
    fb = res["fts5"]["build"]
    w(f"| SQLite FTS5 baseline (context): items table, then porter + trigram tables | {fb['total_s']:.1f} "
      "| – | – | "
      f"{fb['documents']:,} | – | {(fb['en_bytes'] or 0) / 1e6:.1f} + {(fb['zh_bytes'] or 0) / 1e6:.1f} "
      f"(+ {(fb['items_bytes'] or 0) / 1e6:.1f} text) | – | {fmt(res['fts5']['process']['maxrss_mb'], 0)} | "
      f"catalog + document_from + insert {fb['items_s']:.1f} s, porter {fb['en_s']:.1f} s, "
      f"trigram {fb['zh_s']:.1f} s |")
    w("")
    ratio = res["bare_project"]["process"]["wall"] / rb["wall"]
    line = f"Ratio: the bare single-process writer took {ratio:.2f}x the project's rebuild time"
    if "bare_stemming" in res:
        stem_wall = res["bare_stemming"]["process"]["wall"]
        line += (f"; the StemmingAnalyzer writer {stem_wall / rb['wall']:.2f}x "
                 f"(the jieba analyzers cost {res['bare_project']['process']['wall'] / stem_wall:.2f}x "
                 "the plain one in the same writer)")
    w(line + ". Index size on disk: the generation the rebuild swapped in "
      f"({rb['index_bytes'] / 1e6:.1f} MB, {rb['segments']} segment(s), not merged).")
    if "bare_project_2" in res:
        b2 = res["bare_project_2"]["process"]
        b1 = res["bare_project"]
        line = (f"Like with like (processes): the bare two-process writer took {b2['wall']:.1f} s wall and "
                f"{b2['cpu']:.1f} CPU s, {b2['wall'] / rb['wall']:.2f}x the project's rebuild time "
                f"({rb['wall']:.1f} s wall, {rb['cpu']:.1f} CPU s); CPU seconds, the project's rebuild / bare: "
                f"{rb['cpu'] / b2['cpu']:.2f} against the two-process writer, {rb['cpu'] / b1['process']['cpu']:.2f} "
                f"against the one-process writer.")
        if "merge" in res:
            mg = res["merge"]
            total = rb["wall"] + mg["process"]["wall"]
            line += (f" Size: the rebuilt index is {rb['index_bytes'] / b1['index_bytes']:.2f}x the bare one-process "
                     f"writer's ({b1['index_bytes'] / 1e6:.1f} MB, {b1['segments']} segment) and "
                     f"{rb['index_bytes'] / res['bare_project_2']['index_bytes']:.2f}x the two-process writer's "
                     f"({res['bare_project_2']['index_bytes'] / 1e6:.1f} MB); merged, "
                     f"{mg['index_bytes'] / b1['index_bytes']:.2f}x. Rebuild and merge together take {total:.1f} s, "
                     f"and the one-process writer takes {b1['process']['wall'] / total:.2f}x that time, the "
                     f"two-process writer {b2['wall'] / total:.2f}x. The rebuild does not merge: "
                     "`registry reindex` swaps the new generation in as soon as it is written, and a merge "
                     f"would add {mg['process']['wall']:.0f} s before searches see it.")
        w(line)
    for key, label in (("rebuild", "the project's rebuild"), ("bare_project", "the bare writer")):
        for att in res.get(key, {}).get("attempts", []):
            w(f"Not kept: an attempt of {label} that took {att['wall']:.1f} s ({att['cpu']:.0f} CPU s) while other "
              f"processes took {100 * att['contention']:.0f}% of the machine; the table shows the least disturbed "
              "attempt.")
    use = rb.get("cpu_use")
    if use:
        parts = [f"{p['cpu_s']:.0f} CPU s in {p['alive_s']:.0f} s (`{p['cmd'][:60]}`)" for p in use["processes"]
                 if p["cpu_s"] >= 0.5]
        w("Where the rebuild's CPU went (sampled every 0.25 s): " + "; ".join(parts) +
          f". Both cores for {rb['wall']:.0f} s are {2 * rb['wall']:.0f} CPU s; the rebuild used {rb['cpu']:.0f} "
          f"({rb['cpu'] / rb['wall']:.2f} cores on average) and other processes {use['others_cpu_s']:.0f}.")
    w("")
    return lines


def latency_section(res: dict, queries: list[dict]) -> list[str]:
    """Query latency in-process, through HTTP and in FTS5, per query type."""
    lines: list[str] = []
    w = lines.append
    a = res["analysis"]
    by_id = {q["id"]: q for q in queries}
    w("### Query latency (ms)")
    w("")
    w("In-process: `SearchService.search` (query, top 10, total, facets, snippets; its maintenance thread "
      "running) in one process. "
      f"HTTP: GET /api/v1/search through gunicorn as `registry serve` runs it ({res['args']['http_workers']} "
      f"threaded workers of {res.get('http', {}).get('threads', '?')} threads serving "
      f"`{res.get('http', {}).get('app', '?')}`), one client connection kept alive (the threaded worker keeps it "
      "open), one request at a time, time to the last byte. FTS5: top 10 by rank, "
      "one stored field per hit, count(*) for the total; in the same process as the in-process figures, the two "
      "engines interleaved per query (the order swapped every query and every pass).")
    w("")
    w("| type | n | in-process p50 / p95 / p99 | HTTP p50 / p95 / p99 | FTS5 p50 / p95 / p99 | p95 project / FTS5 "
      "| matches per query (median / max) | in-process µs per match |")
    w("|---|---|---|---|---|---|---|---|")
    inproc_res = res["inproc"]["results"]
    for qt in TYPES + ["all"]:
        ip, fs = a["inproc"][qt], a["fts5"][qt]
        hp = a.get("http", {}).get(qt)
        label = "**all**" if qt == "all" else TYPE_LABELS[qt]
        http_cell = f"{fmt(hp['p50'])} / {fmt(hp['p95'])} / {fmt(hp['p99'])}" if hp else "–"
        ratio_cell = f"{ip['p95'] / fs['p95']:.1f}x" if fs["p95"] and fs["p95"] == fs["p95"] else "–"
        ids = [q["id"] for q in queries if qt == "all" or q["type"] == qt]
        matches = sorted(inproc_res[i]["total"] or 0 for i in ids)
        per_match = f"{1000 * sum(a['inproc_ms'][i] for i in ids) / sum(matches):.1f}" if sum(matches) else "–"
        w(f"| {label} | {ip['n']} | {fmt(ip['p50'])} / {fmt(ip['p95'])} / {fmt(ip['p99'])} | {http_cell} | "
          f"{fmt(fs['p50'], 2)} / {fmt(fs['p95'], 2)} / {fmt(fs['p99'], 2)} | {ratio_cell} | "
          f"{statistics.median(matches):,.0f} / {matches[-1]:,} | {per_match} |")
    w("")
    cpu_p = {qid: statistics.median(r["cpu"]) for qid, r in res["inproc"]["results"].items() if r.get("cpu")}
    cpu_f = {qid: statistics.median(r["cpu"]) for qid, r in res["fts5"]["results"].items() if r.get("cpu")}
    if cpu_p and cpu_f:
        sp, sf = summary(list(cpu_p.values())), summary(list(cpu_f.values()))
        w(f"CPU ms per query beside wall ms (this thread's CPU time, the same interleaved passes), p50 / p95 / p99: "
          f"project {fmt(sp['p50'])} / {fmt(sp['p95'])} / {fmt(sp['p99'])} (wall {fmt(a['inproc']['all']['p50'])} / "
          f"{fmt(a['inproc']['all']['p95'])} / {fmt(a['inproc']['all']['p99'])}); FTS5 {fmt(sf['p50'], 2)} / "
          f"{fmt(sf['p95'], 2)} / {fmt(sf['p99'], 2)} (wall {fmt(a['fts5']['all']['p50'], 2)} / "
          f"{fmt(a['fts5']['all']['p95'], 2)} / {fmt(a['fts5']['all']['p99'], 2)}). Total CPU s of the timed passes: "
          f"project {sum(sum(r['cpu']) for r in res['inproc']['results'].values()) / 1000:.1f}, FTS5 "
          f"{sum(sum(r['cpu']) for r in res['fts5']['results'].values()) / 1000:.1f}.")
        w("")
    if a["fts5_scans"]:
        ns = a["fts5_no_scan"]
        w(f"FTS5 answers {len(a['fts5_scans'])} queries with a 2-character Chinese word by scanning every item "
          f"(`instr()`: trigram cannot look up 2 characters); without them FTS5's p50 / p95 / p99 are "
          f"{fmt(ns['p50'], 2)} / {fmt(ns['p95'], 2)} / {fmt(ns['p99'], 2)} ms.")
    ipr = res["inproc"]
    w(f"In-process: service start (index check) {ipr['start_s']:.2f} s; first query "
      f"{ipr['first_query_s'] * 1000:.0f} ms; "
      f"slowest query median {max(a['inproc_ms'].values()):.0f} ms "
      f"(`{max(a['inproc_ms'], key=a['inproc_ms'].get)}`: {by_id[max(a['inproc_ms'], key=a['inproc_ms'].get)]['q']}). "
      + (f"HTTP: first answer {res['http']['ready_s']:.1f} s after gunicorn started; slowest query median "
         f"{max(a['http_ms'].values()):.0f} ms." if "http" in res else ""))
    busy = []
    for label, use in (("the in-process passes", res["inproc"].get("process", {}).get("cpu_use")),
                       ("the HTTP passes", res.get("http", {}).get("cpu_use")),
                       ("the FTS5 run", res["fts5"].get("process", {}).get("cpu_use"))):
        if use:
            busy.append(f"{label} {use['others_cpu_s']:.0f} CPU s ({100 * contention(use):.0f}% of the machine)")
    if busy:
        w("Other processes on the machine meanwhile: " + "; ".join(busy) + ".")
    if "http" in res and res["http"].get("concurrent"):
        cc = res["http"]["concurrent"]
        w(f"HTTP with {cc['clients']} concurrent clients, one pass: {cc['qps']:.1f} queries/s, p50 {cc['p50']:.1f} ms, "
          f"p95 {cc['p95']:.1f} ms, p99 {cc['p99']:.1f} ms (the clients share the 2 cores with the workers).")
    errors = {qid: r["error"] for qid, r in ipr["results"].items() if r["error"]}
    if errors:
        w(f"Queries answered with an error in-process ({len(errors)}): " +
          "; ".join(f"`{by_id[q]['q']}` {e}" for q, e in list(errors.items())[:10]) + ".")
    if a.get("http_total_mismatch"):
        w(f"HTTP totals differ from in-process totals for {len(a['http_total_mismatch'])} queries: "
          + ", ".join(a["http_total_mismatch"][:10]) + ".")
    w("")
    return lines


def memory_section(res: dict) -> list[str]:
    """Memory of the gunicorn workers, their render children, the in-process search and the builds."""
    lines: list[str] = []
    w = lines.append
    rb = res["rebuild"]
    ipr = res["inproc"]
    w("### Memory")
    w("")
    mem = res.get("http", {}).get("memory_after_queries", [])
    w("RSS counts the pages of memory-mapped index files a process has touched; those are shared with the "
      "page cache and with the other processes mapping the same files. So RSS now is split into private "
      "anonymous memory and file-backed pages, and PSS divides each shared page among the processes that map it.")
    w("")
    w("With the default settings: each gunicorn worker keeps a warm PDF render child (REGISTRY_RENDER_WARM=1); "
      "its rows follow the workers'. Private memory (USS) after the query passes: " + ", ".join(
          f"worker {i} {row.get('uss_mb', 0):.0f} MB + render child "
          f"{row.get('render_child', {}).get('uss_mb', 0):.0f} MB" for i, row in enumerate(mem, 1)) + ".")
    w("")
    w("| process | peak RSS (VmHWM) MB | RSS now MB | of which anonymous / file-backed MB | PSS MB |")
    w("|---|---|---|---|---|")

    def mem_row(label: str, row: dict) -> None:
        split = (f"{row['rss_anon_mb']:.0f} / {row['rss_file_mb']:.0f}" if "rss_anon_mb" in row else "–")
        w(f"| {label} | {row['vmhwm_mb']:.0f} | {row['vmrss_mb']:.0f} | {split} | {fmt(row.get('pss_mb'), 0)} |")

    for i, row in enumerate(mem, 1):
        mem_row(f"gunicorn worker {i} after the query passes", row)
    for i, row in enumerate(res.get("http", {}).get("memory_after_trials", []), 1):
        mem_row(f"gunicorn worker {i} after the publish trials", row)
    for i, row in enumerate(mem, 1):
        child = row.get("render_child")
        if child:
            w(f"| gunicorn worker {i}'s warm render child (default settings) | {child['vmhwm_mb']:.0f} | "
              f"{child['vmrss_mb']:.0f} | – | {fmt(child.get('pss_mb'), 0)} |")
    mem_row("in-process search (one process, after the passes)", ipr)
    w(f"| project rebuild (largest process / process tree) | {fmt(rb['maxrss_mb'], 0)} / "
      f"{fmt(rb['tree_rss_mb'], 0)} | – | – | – |")
    w(f"| FTS5 baseline (build + queries) | {res['fts5']['vmhwm_mb']:.0f} | – | – | – |")
    w("")
    return lines
