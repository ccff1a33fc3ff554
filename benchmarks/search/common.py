"""What every step of the search benchmark shares: where things are, the query types and targets, the
log line, and the small figures (percentiles, memory of a process, size of a folder, machine info)."""

from __future__ import annotations

import math
import os
import platform
import socket
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from _machine import cpu_model, loadavg, status_kb
from _yardstick import calibrate

#: the benchmarks folder, the repository, and the entry point every child process runs (``--worker NAME``)
HERE = Path(__file__).resolve().parent.parent
REPO = HERE.parent
ENTRY = HERE / "bench_search.py"

SECTION = "## Issue 4: search"
QUERIES = HERE / "search_queries.json"
QUERY_SEED = 20261127

TARGETS = {"inproc_p95_ms": 40.0, "http_p95_ms": 60.0, "rebuild_ratio": 1.3, "visible_s": 1.0,
           "search_rss_mb": 400.0}

#: the order of the query types in every table
TYPES = ["en_term", "zh_term", "en_phrase", "zh_phrase", "en_and", "level", "sector", "mixed", "misspelt"]
TYPE_LABELS = {
    "en_term": "English term", "zh_term": "Chinese term", "en_phrase": "English phrase",
    "zh_phrase": "Chinese phrase", "en_and": "two-term AND (English)", "level": "filtered by level",
    "sector": "filtered by sector", "mixed": "mixed zh + en", "misspelt": "misspelt English word",
}


# --- small helpers -------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def mem_info(pid: int | str) -> dict:
    """Memory of a process in MB: peak and current RSS, RSS split into private anonymous memory and
    file-backed pages (memory-mapped index files: shared with the page cache and other processes),
    and PSS (each shared page divided among the processes that map it)."""
    out = {"vmhwm_mb": status_kb(pid, "VmHWM") / 1024, "vmrss_mb": status_kb(pid, "VmRSS") / 1024,
           "rss_anon_mb": status_kb(pid, "RssAnon") / 1024, "rss_file_mb": status_kb(pid, "RssFile") / 1024}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    out["pss_mb"] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def tree_bytes(path: Path) -> int:
    """Bytes of the regular files under ``path`` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def quantile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def summary(values: list[float]) -> dict:
    v = sorted(values)
    if not v:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "mean": float("nan"),
                "max": float("nan")}
    return {"n": len(v), "p50": quantile(v, 50), "p95": quantile(v, 95), "p99": quantile(v, 99),
            "mean": statistics.fmean(v), "max": v[-1]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fmt(x: float | None, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:,.{digits}f}"


def machine_info() -> dict:
    from importlib.metadata import version

    def v(name: str) -> str:
        try:
            return version(name)
        except Exception:
            return "?"

    return {"cpu": cpu_model(), "nproc": os.cpu_count(), "host": platform.node(), "kernel": platform.release(),
            "python": platform.python_version(), "whoosh": v("Whoosh-Reloaded"), "jieba": v("jieba"),
            "opencc": v("OpenCC"), "gunicorn": v("gunicorn"), "flask": v("Flask"), "sqlite": sqlite3.sqlite_version,
            "memory_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
            "load_start": loadavg(), "calibration_start_s": calibrate()}
