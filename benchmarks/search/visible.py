"""Publish-to-visible (step 8): with the app running, publish a new version through the API while two other
processes poll for it (``--worker poll``): one through HTTP, one with its own ``SearchService``."""

from __future__ import annotations

import json
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from .common import ENTRY, fmt, log
from .server import HttpClient


def worker_poll(args: dict) -> dict:
    """Poll until the marker word is visible in the new version; prints 'ready' once polling has begun."""
    mode, token, version = args["mode"], args["token"], args["version"]
    need = args.get("consecutive", 10)
    if mode == "http":
        client = HttpClient(args["port"])
        path = "/api/v1/search?" + urllib.parse.urlencode({"q": token, "per_page": 5})

        def probe() -> bool:
            status, body = client.get(path)
            if status != 200:
                return False
            data = json.loads(body)
            return data["total"] >= 1 and any(h["version"] == version for h in data["hits"])
    else:
        from registry.db import make_engine
        from registry.search import SearchRequest
        from registry.search.service import SearchService

        service = SearchService(args["index_dir"], make_engine(args["database_url"]))
        request = SearchRequest(q=token, per_page=5)

        def probe() -> bool:
            try:
                res = service.search(request)
            except Exception:
                return False
            return res.total >= 1 and any(h["version"] == version for h in res.hits)
    if probe():
        return {"error": "visible before the publish"}
    print("ready", flush=True)
    deadline = time.monotonic() + args.get("timeout", 60)
    first = stable = None
    run = polls = flips = 0
    while time.monotonic() < deadline:
        ok = probe()
        now = time.monotonic()
        polls += 1
        if ok:
            first = first or now
            run += 1
            if run >= need:
                stable = now
                break
        else:
            if first is not None:
                flips += 1
            run = 0
        time.sleep(args.get("interval", 0.01))
    return {"first": first, "stable": stable, "polls": polls, "flips": flips}


def _new_version_source(source: bytes, version: str, token: str) -> bytes:
    text = source.decode("utf-8")
    text, n = re.subn(r'^version: "[0-9.]+"$', f'version: "{version}"', text, count=1, flags=re.M)
    if not n:
        raise RuntimeError("no top-level version line")
    text, n = re.subn(r"^(\s+en: )Can ", rf"\1Can {token} ", text, count=1, flags=re.M)
    if not n:
        raise RuntimeError("no English requirement to mark")
    return text.encode("utf-8")


def publish_trials(port: int, corpus: Path, database_url: str, index_dir: Path, trials: int, tmp: Path) -> dict:
    from sqlmodel import select

    from registry.db import make_engine, read_session, write_session
    from registry.models import Body, StandardVersion
    from registry.services.accounts import add_body, create_token

    engine = make_engine(database_url)
    with write_session(engine) as session:
        if session.get(Body, "benchsearch") is None:
            add_body(session, "benchsearch", "Search benchmark body (synthetic)")
        body_token, _ = create_token(session, body_id="benchsearch")
        reg_token, _ = create_token(session, registrar="benchsearch-registrar")
    body_h = {"Authorization": f"Bearer {body_token}"}
    reg_h = {"Authorization": f"Bearer {reg_token}", "Content-Type": "application/json"}
    codes = sorted(p.name for p in corpus.iterdir() if (p / "1.0.yaml").is_file())
    client = HttpClient(port)
    out = []
    run_id = f"{int(time.time()) % 100000:05d}"
    from registry.services.context import Actor
    from registry.services.stewardship import assign

    with write_session(engine) as session:  # a body's drafts may change only the standards it keeps
        for k in range(trials):
            assign(session, codes[(k * 97) % len(codes)], "benchsearch", Actor("system:bench", "admin"))
    for k in range(trials):
        code = codes[(k * 97) % len(codes)]
        with read_session(engine) as session:
            versions = list(session.exec(select(StandardVersion.version).where(StandardVersion.code == code)))
        minor = max(int(v.split(".")[1]) for v in versions if v.startswith("1.")) + 1
        version = f"1.{minor}"
        token = f"zqvisible{run_id}t{k}"
        source = _new_version_source((corpus / code / "1.0.yaml").read_bytes(), version, token)
        status, body = client.request("POST", "/api/v1/drafts", source, {**body_h, "Content-Type": "application/yaml"})
        if status != 201:
            raise RuntimeError(f"draft refused ({status}): {body[:500]!r}")
        draft = json.loads(body)["id"]
        for path, headers in ((f"/api/v1/drafts/{draft}/submit", body_h), (f"/api/v1/drafts/{draft}/approve", reg_h)):
            status, body = client.request("POST", path, b"{}" if headers is reg_h else None, headers)
            if status != 200:
                raise RuntimeError(f"{path} refused ({status}): {body[:500]!r}")
        pollers: dict[str, subprocess.Popen] = {}
        try:
            trial = _one_trial(client, pollers, draft, token, version, code, port, index_dir, database_url, reg_h)
        finally:
            for proc in pollers.values():
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        log(f"    trial {k + 1}: {code} {version}: http first {fmt(trial['http']['first_s'], 3)} s, "
            f"10 in a row {fmt(trial['http']['stable_s'], 3)} s; other process {fmt(trial['service']['first_s'], 3)} s")
        out.append(trial)
        time.sleep(1.0)
    client.close()
    engine.dispose()
    return {"trials": out}


def _one_trial(client, pollers, draft, token, version, code, port, index_dir, database_url, reg_h) -> dict:
    """Start the two pollers, publish the approved draft, and return when both saw it (or gave up)."""
    for mode in ("http", "service"):
        args = {"mode": mode, "token": token, "version": version, "port": port, "index_dir": str(index_dir),
                "database_url": database_url, "timeout": 60}
        cmd = [sys.executable, str(ENTRY), "--worker", "poll", "--worker-args", json.dumps(args)]
        pollers[mode] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for mode, proc in pollers.items():
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"poller {mode} did not start: {line} {proc.stderr.read()[-2000:]}")
    time.sleep(0.3)
    t_send = time.monotonic()
    status, body = client.request("POST", f"/api/v1/drafts/{draft}/publish",
                                  json.dumps({"bump_reason": "search benchmark"}).encode(), reg_h)
    t_pub = time.monotonic()
    if status != 201:
        raise RuntimeError(f"publish refused ({status}): {body[:500]!r}")
    trial = {"code": code, "version": version, "publish_request_s": t_pub - t_send}
    for mode, proc in pollers.items():
        stdout, _stderr = proc.communicate(timeout=120)
        res = json.loads(stdout.strip().splitlines()[-1])
        first, stable = res.get("first"), res.get("stable")
        trial[mode] = {"first_s": None if first is None else first - t_pub,
                       "stable_s": None if stable is None else stable - t_pub,
                       "polls": res.get("polls"), "flips": res.get("flips"), "error": res.get("error")}
    return trial


def visible_summary(trials: list[dict]) -> dict:
    def col(mode, key):
        return [t[mode][key] for t in trials if t[mode][key] is not None]

    out = {"missing": sum(1 for t in trials for mode in ("http", "service") if t[mode]["first_s"] is None)}
    for mode in ("http", "service"):
        for key in ("first", "stable"):
            vals = col(mode, f"{key}_s")
            out[f"{mode}_{key}_median"] = statistics.median(vals) if vals else None
            out[f"{mode}_{key}_max"] = max(vals) if vals else None
    return out


def visible_section(res: dict) -> list[str]:
    """The publish-to-visible trials (none when --trials 0)."""
    lines: list[str] = []
    w = lines.append
    if res.get("visible"):
        v = res["visible"]
        w("### Publish to visible")
        w("")
        http = res.get("http", {})
        w(f"With the app running (gunicorn as `registry serve` runs it, {res['args']['http_workers']} workers of "
          f"{http.get('threads', '?')} threads), a new version is published through the API (draft, submit and "
          f"approve before the clock starts; then POST .../publish). Two other processes poll every 10 ms for a "
          f"word that only the new version has: one through HTTP (those workers), one with its own `SearchService` "
          f"on the same data directory (another app process). Times from the publish response; "
          f"{len(v['trials'])} trials.")
        w("")
        w("| trial | version | publish request s | HTTP: first seen s | HTTP: 10 answers in a row s "
          "| other process: first seen s |")
        w("|---|---|---|---|---|---|")
        for i, tr in enumerate(v["trials"], 1):
            w(f"| {i} | {tr['code']} {tr['version']} | {tr['publish_request_s']:.3f} | "
              f"{fmt(tr['http']['first_s'], 3)} | "
              f"{fmt(tr['http']['stable_s'], 3)} | {fmt(tr['service']['first_s'], 3)} |")
        s = v["summary"]
        w(f"| **median / max** | | | {fmt(s['http_first_median'], 3)} / {fmt(s['http_first_max'], 3)} | "
          f"{fmt(s['http_stable_median'], 3)} / {fmt(s['http_stable_max'], 3)} | "
          f"{fmt(s['service_first_median'], 3)} / {fmt(s['service_first_max'], 3)} |")
        w("")
    return lines
