"""Issue 5 benchmark: rendering the largest standard of the corpus to PDF.

Measures, for the largest standard (by YAML size):

* warm render in-process (after a warm-up page): median and best of N, split into layout and
  ``write_pdf``, pages and PDF size, bilingual (master + en) and master only, as a draft (the
  document alone, with the DRAFT watermark) and as the published version in force (what people
  download);
* warm render through the render worker (a warm child process; adds the pipe round trip);
* cold start: a new worker process until its first PDF, without and with the warm-up render
  (what the first PDF after a server start would cost without a warm worker);
* peak memory (VmHWM) of the worker process after the renders;
* the fallback without the prepared font (system Noto Sans CJK SC), once;
* a document at the render size limit (``MAX_RENDER_ITEMS`` table entries) in a fresh worker:
  time, pages, PDF size and the worker's peak memory (``--no-cap`` skips it).

Writes its part ("One standard") of the "## Issue 5: rendering" section of benchmarks/RESULTS.md
(bench_exports.py writes the other part).

    .venv/bin/python benchmarks/bench_render.py [--runs 5] [--write] [--standard PATH]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _machine import loadavg  # noqa: E402
from _results import add_write_flags, report  # noqa: E402

from registry.exports import VersionInfo  # noqa: E402
from registry.lifecycle import IN_FORCE, Standing  # noqa: E402
from registry.loader import load_bytes  # noqa: E402
from registry.render import (  # noqa: E402
    fonts,  # noqa: E402
    render_html,
    source_attachment_name,
)

SECTION = "## Issue 5: rendering"
PART = "### One standard (bench_render.py)"
TARGET_S = 2.5
TARGET_BYTES = 1024 * 1024
#: Issue 15: the PDF people download of the largest standard (tagged, Song and Hei faces).
TARGET_PUBLISHED_BYTES = 300_000


def largest_standard() -> Path:
    return max((ROOT / "standards").glob("*/*.yaml"), key=lambda p: p.stat().st_size)


def proc_status(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024  # MB
    return 0


def bench_in_process(doc: dict, source: bytes, info: VersionInfo, lang, runs: int, html_override=None) -> dict:
    from registry.render.pdf import render_pdf

    html = html_override or render_html(doc, lang=lang, status_info=info, standalone=False, for_pdf=True)
    totals, layouts, writes, cpu = [], [], [], []
    stats: dict = {}
    for _ in range(runs):
        stats = {}
        c0, t0 = time.process_time(), time.perf_counter()
        html_now = html_override or render_html(doc, lang=lang, status_info=info, standalone=False, for_pdf=True)
        pdf = render_pdf(html_now, attachments=[(source_attachment_name(doc), source)], stats=stats)
        totals.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        layouts.append(stats["layout_s"])
        writes.append(stats["write_s"])
    return {"median_s": statistics.median(totals), "best_s": min(totals), "cpu_median_s": statistics.median(cpu),
            "layout_s": statistics.median(layouts), "write_s": statistics.median(writes),
            "pages": stats["pages"], "bytes": len(pdf), "runs": runs, "html_bytes": len(html.encode())}


def bench_worker(doc: dict, source: bytes, info: VersionInfo, runs: int) -> dict:
    from registry.render.worker import RenderWorker

    html = render_html(doc, lang="en", status_info=info, standalone=False, for_pdf=True)
    attachments = [(source_attachment_name(doc), source)]
    out: dict = {}

    # cold: a new process, no warm-up, until the first PDF
    t0 = time.perf_counter()
    cold = RenderWorker(warm=False, timeout=600).start()
    cold.render_pdf(html, attachments=attachments)
    out["cold_first_pdf_s"] = time.perf_counter() - t0
    cold.close()

    # warm worker: start (import, fonts, warm-up page), then renders
    t0 = time.perf_counter()
    worker = RenderWorker(warm=True, timeout=600).start()
    worker._await_ready()
    out["warm_start_s"] = time.perf_counter() - t0
    out["warm_up_in_child_s"] = worker._ready["start_s"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        worker.render_pdf(html, attachments=attachments)
        times.append(time.perf_counter() - t0)
    out["first_after_start_s"] = times[0]
    out["worker_median_s"] = statistics.median(times)
    out["worker_best_s"] = min(times)
    out["peak_rss_mb"] = proc_status(worker.pid, "VmHWM")
    out["vm_peak_mb"] = proc_status(worker.pid, "VmPeak")
    out["start_plus_first_s"] = out["warm_start_s"] + times[0]
    worker.close()
    return out


def bench_at_the_limit(source: bytes) -> dict:
    """A standard with MAX_RENDER_ITEMS table entries (the largest a render accepts), in a fresh worker."""
    import copy

    from registry.render import MAX_RENDER_ITEMS, count_items
    from registry.render.worker import RenderWorker

    doc = copy.deepcopy(load_bytes((ROOT / "tests" / "data" / "valid" / "example.yaml").read_bytes()).data)
    text = {"zh": "能根据工作要求完成规定的工作内容，并记录和分析结果。",
            "en": "Can do the work as required and record the results."}
    sections = doc["work_requirements"]["sections"]
    del sections[1:]
    sections[0]["functions"] = sections[0]["functions"][:1]
    sections[0]["functions"][0]["work_contents"] = []
    # each row: the work content, its requirements, one item; the basic requirements count too
    rows = 100
    per_row = (MAX_RENDER_ITEMS - count_items(doc)) // rows - 2
    sections[0]["functions"][0]["work_contents"] = [
        {"id": f"WC-{i}", "number": f"1.{i + 1}", "name": {"zh": f"工作内容{i}", "en": f"Work content {i}"},
         "requirements": [{"id": f"R-{i}-{j}", "number": f"1.{i + 1}.{j + 1}", "text": text} for j in range(per_row)],
         "knowledge": [{"id": f"K-{i}", "number": f"1.{i + 1}.1", "text": text}]} for i in range(rows)]
    items = count_items(doc)
    assert items <= MAX_RENDER_ITEMS, items
    info = VersionInfo.of_document(doc, source=source)
    html = render_html(doc, lang="en", status_info=info, standalone=False, for_pdf=True)
    worker = RenderWorker(warm=True, timeout=600).start()
    try:
        t0 = time.perf_counter()
        pdf = worker.render_pdf(html, attachments=[("limit.yaml", source)])
        wall = time.perf_counter() - t0
        return {"items": items, "max_items": MAX_RENDER_ITEMS, "wall_s": wall, "pages": worker.last_stats["pages"],
                "bytes": len(pdf), "peak_rss_mb": proc_status(worker.pid, "VmHWM"),
                "vm_peak_mb": proc_status(worker.pid, "VmPeak")}
    finally:
        worker.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--standard", type=Path, default=None)
    add_write_flags(parser)
    parser.add_argument("--no-fallback", action="store_true", help="skip the slow system-font render")
    parser.add_argument("--no-cap", action="store_true", help="skip the render at the size limit")
    args = parser.parse_args()

    path = args.standard or largest_standard()
    source = path.read_bytes()
    doc = load_bytes(source).data
    info = VersionInfo.of_document(doc, source=source)
    load_before = loadavg()

    from registry.render import pdf as pdf_module

    t0 = time.perf_counter()
    pdf_module.warm_up()
    warm_up_s = time.perf_counter() - t0
    rows = {}
    rows["bilingual zh+en, in-process"] = bench_in_process(doc, source, info, "en", args.runs)
    rows["master only (zh), in-process"] = bench_in_process(doc, source, info, doc["languages"]["master"], args.runs)
    published = VersionInfo.of_document(doc, source=source, standing=Standing(doc["version"], IN_FORCE))
    rows["bilingual, published in force, in-process"] = bench_in_process(doc, source, published, "en", args.runs)
    if not args.no_fallback:
        html = render_html(doc, lang="en", status_info=info, standalone=False, for_pdf=True)
        prepared_css = fonts.font_face_css(pdf_module.ASSET_BASE)
        fallback_css = fonts.font_face_css(pdf_module.ASSET_BASE, fonts_dir=Path("/nonexistent"))
        rows["bilingual, system Noto CJK (no prepared font)"] = bench_in_process(
            doc, source, info, "en", 1, html_override=html.replace(prepared_css, fallback_css))
    worker = bench_worker(doc, source, info, args.runs)
    cap = None if args.no_cap else bench_at_the_limit(source)
    load_after = loadavg()

    rel = path.relative_to(ROOT)
    lines = [
        PART, "",
        f"Command: `.venv/bin/python benchmarks/bench_render.py --runs {args.runs}` "
        f"({time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, WeasyPrint {__import__('weasyprint').__version__}).",
        f"Standard: `{rel}` (the largest YAML of the corpus, {len(source) // 1024} KB). "
        f"Fonts: {'prepared subset' if fonts.prepared_faces() else 'system Noto CJK (not prepared)'}. "
        f"Load average before/after: {load_before} / {load_after} (the machine is shared; CPU seconds "
        "are less sensitive to load than wall seconds).",
        "",
        "| render | wall median s | wall best s | CPU median s | layout s | write_pdf s | pages | PDF bytes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['median_s']:.2f} | {r['best_s']:.2f} | {r['cpu_median_s']:.2f} | "
                     f"{r['layout_s']:.2f} | {r['write_s']:.2f} | {r['pages']} | {r['bytes']:,} |")
    lines += [
        "",
        "| worker (separate process, limits on) | s |",
        "|---|---|",
        f"| cold: new process without warm-up, until its first PDF | {worker['cold_first_pdf_s']:.2f} |",
        f"| warm worker start (spawn, import, fonts, warm-up page) | {worker['warm_start_s']:.2f} |",
        f"| first PDF after the warm worker is ready | {worker['first_after_start_s']:.2f} |",
        f"| warm render through the worker, median of {args.runs} | {worker['worker_median_s']:.2f} |",
        f"| warm render through the worker, best | {worker['worker_best_s']:.2f} |",
        f"| in-process warm-up page (import already done) | {warm_up_s:.2f} |",
        "",
        f"Peak memory of the worker process after the renders: RSS {worker['peak_rss_mb']} MB "
        f"(VmPeak {worker['vm_peak_mb']} MB; the worker's RLIMIT_AS is 2048 MB).",
        "",
    ]
    if cap:
        lines += [
            f"At the size limit ({cap['items']:,} table entries; MAX_RENDER_ITEMS = {cap['max_items']:,}), in a fresh "
            f"warm worker: {cap['wall_s']:.1f} s, {cap['pages']} pages, {cap['bytes']:,} bytes, worker peak RSS "
            f"{cap['peak_rss_mb']} MB (VmPeak {cap['vm_peak_mb']} MB), inside the default limits (60 s, 2048 MB).",
            "",
        ]
    lines += [
        f"Targets: warm render < {TARGET_S} s -> "
        f"{'met' if rows['bilingual zh+en, in-process']['median_s'] < TARGET_S else 'NOT met'} "
        f"(bilingual median {rows['bilingual zh+en, in-process']['median_s']:.2f} s, "
        f"master only {rows['master only (zh), in-process']['median_s']:.2f} s); "
        f"PDF < 1 MB -> {'met' if rows['bilingual zh+en, in-process']['bytes'] < TARGET_BYTES else 'NOT met'}; "
        f"published PDF < {TARGET_PUBLISHED_BYTES:,} bytes -> "
        f"{'met' if rows['bilingual, published in force, in-process']['bytes'] < TARGET_PUBLISHED_BYTES else 'NOT met'} "
        f"({rows['bilingual, published in force, in-process']['bytes']:,}); "
        f"no cold start on the first PDF -> the warm worker's first PDF took "
        f"{worker['first_after_start_s']:.2f} s against {worker['cold_first_pdf_s']:.2f} s cold.",
        "",
    ]
    report(SECTION, PART, lines, write=args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
