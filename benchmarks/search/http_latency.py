"""HTTP latency (step 6): the app under gunicorn as ``registry serve`` runs it (threaded workers), one client
connection at a time over the query set, then (unless --quick) one pass from 2 concurrent clients."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from _machine import loadavg

from .common import log, summary
from .processes import TreeSampler
from .server import HttpClient, Server, query_path


def http_passes(port: int, queries: list[dict], per_page: int, warmup: int, passes: int) -> dict:
    client = HttpClient(port)
    paths = [query_path(q, per_page) for q in queries]
    results = {q["id"]: {"times": [], "total": None, "status": None, "error": None} for q in queries}
    for pass_no in range(warmup + passes):
        for q, path in zip(queries, paths):
            t0 = time.perf_counter()
            status, body = client.get(path)
            dt = time.perf_counter() - t0
            r = results[q["id"]]
            if pass_no >= warmup:
                r["times"].append(dt * 1000)
            if pass_no == warmup or r["status"] is None:
                r["status"] = status
                data = json.loads(body) if body else {}
                if status == 200:
                    r["total"] = data["total"]
                else:
                    r["error"] = (data.get("error") or {}).get("message", body[:200].decode(errors="replace"))
    client.close()
    return results


def http_concurrent(port: int, queries: list[dict], per_page: int, clients: int) -> dict:
    """One pass over the queries from ``clients`` concurrent connections: throughput and latency."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [query_path(q, per_page) for q in queries]
    chunks = [paths[i::clients] for i in range(clients)]

    def work(chunk):
        client = HttpClient(port)
        times = []
        for path in chunk:
            t0 = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
        client.close()
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        times = [t for part in pool.map(work, chunks) for t in part]
    wall = time.perf_counter() - started
    return {"clients": clients, "requests": len(times), "wall_s": wall, "qps": len(times) / wall, **summary(times)}


def start_server(args, tmp: Path) -> tuple[Server, float]:
    """gunicorn on the snapshot of registry/, answering; with the seconds it took to answer."""
    log(f"gunicorn with {args.http_workers} workers (load {loadavg()})")
    server = Server(os.environ.copy(), args.http_workers, tmp)  # what `registry serve` runs
    try:
        ready = server.wait_ready()
        if ready is None:  # create_app has no /api/v1/search yet: wire it in (see app_factory)
            server.stop()
            server = Server(os.environ.copy(), args.http_workers, tmp, app="bench_search:app_factory()")
            ready = server.wait_ready()
        for pid in server.workers():  # `-m gunicorn` puts its working directory first on sys.path
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            if os.readlink(f"/proc/{pid}/cwd") != str(tmp / "engine") or \
                    not any(e.startswith(f"PYTHONPATH={tmp / 'engine'}".encode()) for e in environ):
                raise RuntimeError("the gunicorn workers do not run on the snapshot of registry/")
    except BaseException:
        server.stop()
        raise
    return server, ready


def step_http(args, res: dict, server: Server, ready: float, queries: list[dict]) -> None:
    """The passes through HTTP and the workers' memory after them; the figures go into ``res``."""
    res["http"] = {"ready_s": ready, "cmd": " ".join(server.cmd), "app": server.app, "threads": server.threads}
    log(f"    answering after {ready:.1f} s; query passes")
    with TreeSampler() as sampler:
        res["http"]["results"] = http_passes(server.port, queries, args.per_page, args.warmup, args.passes)
    res["http"]["cpu_use"] = sampler.result()
    res["http"]["memory_after_queries"] = server.memory()
    log(f"    worker memory {res['http']['memory_after_queries']}")
    if not args.quick:
        log("    concurrent pass (2 clients)")
        res["http"]["concurrent"] = http_concurrent(server.port, queries, args.per_page, 2)
    notes = server.notes()
    if any("registered" in n for n in notes):
        res["workarounds"].append("`create_app` does not register the /api/v1/search blueprint nor start the "
                                  "search service yet, so gunicorn serves "
                                  "`benchmarks/bench_search.py:app_factory()`, "
                                  "which calls `registry.create_app()` and then registers `registry.api.search.bp` "
                                  "and calls `registry.search.service.init_app` only when they are missing (as "
                                  "tests/test_search.py's `_wire` does); nothing to change once create_app does it")
