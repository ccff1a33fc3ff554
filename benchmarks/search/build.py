"""The full index build (step 3): the project's rebuild (``registry reindex``), the bare Whoosh writers over
the same documents (one process; two with Whoosh's MpWriter; Whoosh's StemmingAnalyzer unless --quick), the
rebuilt index merged on a copy, and the rebuilds run again when other processes took the machine."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

from _machine import loadavg, status_kb

from .catalog import iter_versions
from .common import log, tree_bytes
from .processes import CONTENTION_RETRY, TreeSampler, attempt, contention, run_worker


def worker_warm(args: dict) -> dict:
    """Load the project's analyzers once (jieba's trie is built on first use and kept in the temp dir)."""
    import registry
    from registry.search.analysis import analyze

    t = time.perf_counter()
    terms = analyze("数据清洗 data cleaning", "english")
    return {"s": time.perf_counter() - t, "terms": [t[0] for t in terms], "registry": registry.__file__}


def worker_bare(args: dict) -> dict:
    """A bare Whoosh writer over the project's documents: ``ix.writer()`` defaults and ``commit()`` (one process),
    or with ``procs`` > 1 Whoosh's own ``MpWriter`` (``ix.writer(procs=N)``), whose commit merges the
    sub-writers' segments into one, like with like beside the project's two-process rebuild."""
    from whoosh import fields as wfields
    from whoosh import index as windex
    from whoosh.analysis import StemmingAnalyzer

    from registry.search.documents import document_from
    from registry.search.whoosh.schema import make_schema

    schema = make_schema()
    if args["analyzer"] == "stemming":
        for name in ("body", "title"):
            schema.remove(name)
            schema.add(name, wfields.TEXT(analyzer=StemmingAnalyzer(), phrase=True))
    out = Path(args["out"])
    out.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(out), schema, indexname="MAIN")
    started = time.perf_counter()
    cpu0 = time.process_time()
    procs = int(args.get("procs", 1))
    writer = ix.writer(procs=procs, limitmb=128) if procs > 1 else ix.writer()
    t_docs = t_add = 0.0
    count = 0
    loop = time.perf_counter()
    for record in iter_versions(args["database_url"]):
        a = time.perf_counter()
        docs = document_from(record)
        b = time.perf_counter()
        for doc in docs:
            writer.add_document(**doc)
        t_docs += b - a
        t_add += time.perf_counter() - b
        count += len(docs)
    t_loop = time.perf_counter() - loop
    c = time.perf_counter()
    writer.commit()
    t_commit = time.perf_counter() - c
    total = time.perf_counter() - started
    return {"documents": count, "total_s": total, "read_s": t_loop - t_docs - t_add, "docs_s": t_docs,
            "add_s": t_add, "commit_s": t_commit, "cpu_s": time.process_time() - cpu0,
            "index_bytes": tree_bytes(out), "segments": len(list(ix.reader().leaf_readers())) if count else 0,
            "vmhwm_mb": status_kb("self", "VmHWM") / 1024, "procs": procs, "limitmb": 128}


def worker_merge(args: dict) -> dict:
    """Merge a copy of the generation the rebuild swapped in into one segment (Whoosh ``optimize``)."""
    from whoosh.filedb.filestore import FileStorage

    from registry.search.whoosh.generations import INDEX_NAME

    path = Path(args["path"])
    before = tree_bytes(path)
    ix = FileStorage(str(path)).open_index(INDEX_NAME)
    segments_before = len(ix._segments())
    started, cpu0 = time.perf_counter(), time.process_time()
    ix.optimize()
    out = {"total_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu0, "bytes_before": before,
           "segments_before": segments_before}
    ix = FileStorage(str(path)).open_index(INDEX_NAME)
    out.update(index_bytes=tree_bytes(path), segments=len(ix._segments()),
               documents=ix.doc_count_all())
    return out


def registry_has_command(script: Path, name: str) -> bool:
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True).stdout
    return re.search(rf"^\s+{re.escape(name)}\s", out, re.M) is not None


def step_rebuild(script: Path, data_dir: Path) -> dict:
    import bench_validate as bv

    if not registry_has_command(script, "reindex"):
        raise RuntimeError("`registry reindex` is not a command of the registry")
    cmd, how = [str(script), "reindex"], "`registry reindex`"
    with TreeSampler() as sampler:
        r = bv.run(cmd, sample_rss=True)
    if r["rc"]:
        raise RuntimeError(f"reindex failed: {r['stdout'][-2000:]} {r['stderr'][-3000:]}")
    m = re.search(r"rebuilt: (\d+) documents up to change (\d+) in ([\d.]+) s with (\d+) process\(es\) at (\S+)",
                  r["stdout"])
    if not m:
        raise RuntimeError(f"unexpected reindex output: {r['stdout']!r}")
    path = Path(m.group(5))
    return {"how": how, "wall": r["wall"], "cpu": r["cpu"], "maxrss_mb": r["maxrss_mb"],
            "tree_rss_mb": r["tree_rss_mb"],
            "documents": int(m.group(1)), "seq": int(m.group(2)), "internal_s": float(m.group(3)),
            "procs": int(m.group(4)), "path": str(path), "index_bytes": tree_bytes(path),
            "segments": len(list(path.glob("*.seg"))), "output": r["stdout"].strip(),
            "cpu_use": sampler.result(r["cpu"])}


def step_builds(args, res: dict, script: Path, data_dir: Path, database_url: str, tmp: Path) -> None:
    """Every build of step 3, one after the other, each in its own process; the figures go into ``res``."""
    log("warming the analyzers (jieba trie)")
    warm = run_worker("warm", {}, tmp, sample_rss=False)
    if not warm["registry"].startswith(str(tmp)):
        raise RuntimeError(f"the workers import {warm['registry']}, not the snapshot")
    log(f"project rebuild (load {loadavg()})")
    res["rebuild"] = step_rebuild(script, data_dir)
    log(f"    {res['rebuild']['wall']:.1f} s, {res['rebuild']['procs']} procs, {res['rebuild']['documents']} docs")
    log(f"bare single-process Whoosh writer, project analyzers (load {loadavg()})")
    res["bare_project"] = run_worker("bare", {"database_url": database_url, "out": str(tmp / "bare-project"),
                                              "analyzer": "project"}, tmp)
    shutil.rmtree(tmp / "bare-project", ignore_errors=True)
    log(f"    {res['bare_project']['process']['wall']:.1f} s")
    # the machine is shared: a build during which other processes took a good share of the CPU is run
    # again (once per --build-retries), and the least disturbed attempt of each is compared
    for _ in range(args.build_retries):
        shares = {"rebuild": contention(res["rebuild"].get("cpu_use")),
                  "bare_project": contention(res["bare_project"]["process"].get("cpu_use"))}
        worst = max(shares, key=shares.get)
        if shares[worst] < CONTENTION_RETRY:
            break
        log(f"{worst}: other processes took {100 * shares[worst]:.0f}% of the machine meanwhile; "
            f"running it again (load {loadavg()})")
        if worst == "rebuild":
            again = step_rebuild(script, data_dir)
            again["attempts"] = res["rebuild"].get("attempts", []) + [attempt(res["rebuild"])]
            if contention(again["cpu_use"]) > shares[worst]:
                res["rebuild"]["attempts"] = again["attempts"][:-1] + [attempt(again)]
            else:
                res["rebuild"] = again
        else:
            again = run_worker("bare", {"database_url": database_url, "out": str(tmp / "bare-project"),
                                        "analyzer": "project"}, tmp)
            shutil.rmtree(tmp / "bare-project", ignore_errors=True)
            previous = res["bare_project"]
            attempts = previous.get("attempts", [])
            if contention(again["process"]["cpu_use"]) > shares[worst]:
                previous["attempts"] = attempts + [attempt(again)]
            else:
                again["attempts"] = attempts + [attempt(previous)]
                res["bare_project"] = again
    # like with like: the project's rebuild runs two processes, so does Whoosh's own MpWriter
    log(f"bare two-process Whoosh writer (MpWriter), project analyzers (load {loadavg()})")
    res["bare_project_2"] = run_worker("bare", {"database_url": database_url, "out": str(tmp / "bare-project-2"),
                                                "analyzer": "project", "procs": 2}, tmp)
    shutil.rmtree(tmp / "bare-project-2", ignore_errors=True)
    log(f"    {res['bare_project_2']['process']['wall']:.1f} s")
    # the rebuild leaves several segments; what merging them (on a copy) would cost, and the size after
    log(f"merging a copy of the rebuilt index into one segment (load {loadavg()})")
    shutil.copytree(res["rebuild"]["path"], tmp / "merged")
    res["merge"] = run_worker("merge", {"path": str(tmp / "merged")}, tmp)
    shutil.rmtree(tmp / "merged", ignore_errors=True)
    log(f"    {res['merge']['process']['wall']:.1f} s, {res['merge']['index_bytes'] / 1e6:.0f} MB")
    if not args.quick:
        log(f"bare single-process Whoosh writer, StemmingAnalyzer (load {loadavg()})")
        res["bare_stemming"] = run_worker("bare", {"database_url": database_url, "out": str(tmp / "bare-stem"),
                                                   "analyzer": "stemming"}, tmp)
        shutil.rmtree(tmp / "bare-stem", ignore_errors=True)
        log(f"    {res['bare_stemming']['process']['wall']:.1f} s")
