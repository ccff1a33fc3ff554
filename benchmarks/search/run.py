"""One run of the search benchmark, in order (steps 1 to 8 of bench_search.py's docstring): the orchestrating
process, which starts every step and gathers its figures into one dict (the JSON of ``--json``)."""

from __future__ import annotations

import shlex
import shutil
import tempfile
import time
from pathlib import Path

from _machine import loadavg
from _yardstick import calibrate

from .analysis import analyse, targets
from .build import step_builds
from .catalog import catalog_environment, snapshot_engine, step_catalog, step_corpus
from .common import log, machine_info
from .http_latency import start_server, step_http
from .processes import run_worker
from .recall import diagnose_extras, diagnose_misses
from .visible import publish_trials, visible_summary


def measure(args, argv: list[str], script: Path, queries: list[dict]) -> dict:
    """Every step of one run, their figures in one dict; the temporary folder is removed unless --keep."""
    shown = [a for a in argv]
    res: dict = {"command": ".venv/bin/python benchmarks/bench_search.py" + (" " + shlex.join(shown) if shown else ""),
                 "started": time.strftime("%Y-%m-%d %H:%M"), "args": {k: str(v) if isinstance(v, Path) else v
                                                                       for k, v in vars(args).items()},
                 "workarounds": [], "notes": []}
    log("machine info and CPU yardstick")
    res["machine"] = machine_info()
    log(f"    {res['machine']}")
    tmp = Path(tempfile.mkdtemp(prefix="bench-search-", dir=args.tmp))
    log(f"temporary folder: {tmp}")
    for name in ("queries", "json", "corpus"):
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).resolve())
    res["engine"] = snapshot_engine(tmp / "engine")
    log(f"engine snapshot: {res['engine']}")
    server = None
    try:
        corpus, res["corpus"] = step_corpus(args, tmp)
        data_dir, database_url, res["database"] = catalog_environment(args, tmp)
        log("loading the catalog: registry db upgrade, registry load")
        res["catalog"] = step_catalog(script, corpus)
        log(f"    {res['catalog']}")

        step_builds(args, res, script, data_dir, database_url, tmp)

        # FTS5 baseline
        fts_db = tmp / "fts5.sqlite3"
        log(f"FTS5 baseline: build (its queries run interleaved with the project's, in-process) (load {loadavg()})")
        res["fts5"] = run_worker("fts5", {"database_url": database_url, "db": str(fts_db), "queries": str(args.queries),
                                          "passes": 0, "warmup": 0, "per_page": args.per_page}, tmp)
        log(f"    build {res['fts5']['build']['total_s']:.1f} s")

        # in-process
        index_dir = data_dir / "index"
        log(f"in-process latency (load {loadavg()})")
        res["inproc"] = run_worker("inproc", {"database_url": database_url, "index_dir": str(index_dir),
                                              "queries": str(args.queries), "passes": args.passes,
                                              "warmup": args.warmup,
                                              "per_page": args.per_page, "profile": not args.no_profile,
                                              "fts_db": str(fts_db)}, tmp)
        res["fts5"]["results"] = res["inproc"].pop("fts5_results")
        log(f"    done; VmHWM {res['inproc']['vmhwm_mb']:.0f} MB")

        # HTTP
        server, ready = start_server(args, tmp)
        step_http(args, res, server, ready, queries)

        # recall diagnosis (before the trials change the catalog)
        res["analysis"] = analyse(res, queries)
        if res["analysis"]["fewer"]:
            log(f"diagnosing {len(res['analysis']['fewer'])} queries with fewer hits than FTS5")
            res["diagnosis"] = diagnose_misses(server.port, fts_db, queries, res["analysis"]["fewer"])
        if res["analysis"]["more"]:
            inproc_r, fts_r = res["inproc"]["results"], res["fts5"]["results"]
            top = sorted(res["analysis"]["more"], key=lambda q: -(inproc_r[q]["total"] - fts_r[q]["total"]))[:8]
            log(f"examples for {len(top)} of the {len(res['analysis']['more'])} queries with more hits than FTS5")
            res["extras"] = diagnose_extras(server.port, fts_db, queries, top)

        # publish to visible
        if args.trials:
            log(f"publish-to-visible: {args.trials} trials (load {loadavg()})")
            vis = publish_trials(server.port, corpus, database_url, index_dir, args.trials, tmp)
            vis["summary"] = visible_summary(vis["trials"])
            res["visible"] = vis
            res["http"]["memory_after_trials"] = server.memory()
        server.stop()
        server = None

        res["load_end"] = loadavg()
        res["calibration_end_s"] = calibrate()
        res["targets"] = targets(res)
    finally:
        if server is not None:
            server.stop()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return res
