"""Child processes of the benchmark and the CPU they use: ``run_worker`` runs a step in its own process
(``bench_search.py --worker NAME``, under GNU time for its peak memory), ``TreeSampler`` samples the CPU
of every descendant and of the whole machine, ``contention`` tells how much other processes took."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from _machine import children

from .common import ENTRY

TICK = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait


def _proc_cpu(pid: int) -> tuple[float, str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            raw = fh.read()
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / TICK, cmd


class TreeSampler:
    """Samples, every 0.25 s, the CPU time of every descendant of this process, and the machine's
    busy CPU time; tells how the CPU of a step was spent, and how much other processes took meanwhile."""

    def __init__(self):
        self.procs: dict[int, dict] = {}
        self.started = False  # processes seen in the first sample existed before: count their CPU from then
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        now = time.monotonic()
        stack = children(os.getpid())
        while stack:
            pid = stack.pop()
            stack.extend(children(pid))
            got = _proc_cpu(pid)
            if got is None:
                continue
            cpu, cmd = got
            rec = self.procs.setdefault(pid, {"pid": pid, "cmd": cmd, "first": now, "cpu": 0.0,
                                              "cpu0": cpu if self.started else 0.0})
            rec["last"], rec["cpu"] = now, max(rec["cpu"], cpu)

    def _run(self) -> None:
        while not self.stop.is_set():
            self._sample()
            self.stop.wait(0.25)

    def __enter__(self):
        self.t0 = time.monotonic()
        self.m0 = _machine_ticks()
        self.self0 = sum(os.times()[:2])
        self.started = True
        self._sample()
        self.started = False
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.wall = time.monotonic() - self.t0
        m1 = _machine_ticks()
        self.machine_busy_s = (m1[0] - self.m0[0]) / TICK
        self.machine_total_s = (m1[1] - self.m0[1]) / TICK
        self.self_cpu_s = sum(os.times()[:2]) - self.self0
        return False

    def result(self, own_cpu_s: float | None = None) -> dict:
        """``own_cpu_s``: the step's CPU seconds (its process and reaped children); by default what the
        samples saw of this process's descendants plus this process itself."""
        procs = [p for p in self.procs.values() if not p["cmd"].startswith("/usr/bin/time")]
        rows = [{"cmd": p["cmd"][:80], "cpu_s": p["cpu"] - p["cpu0"], "alive_s": p["last"] - p["first"]}
                for p in sorted(procs, key=lambda p: p["first"])]
        if own_cpu_s is None:
            own_cpu_s = sum(r["cpu_s"] for r in rows) + self.self_cpu_s
        return {"wall_s": self.wall, "machine_busy_s": self.machine_busy_s, "machine_total_s": self.machine_total_s,
                "others_cpu_s": max(0.0, self.machine_busy_s - own_cpu_s), "processes": rows}



#: a build during which other processes used more than this share of the machine is run again
CONTENTION_RETRY = 0.10


def contention(use: dict | None) -> float:
    """The share of the machine's CPU that other processes used during a step (0 when unknown)."""
    if not use:
        return 0.0
    return use["others_cpu_s"] / max(use["machine_total_s"], 1e-9)


def attempt(build: dict) -> dict:
    """The figures of a build attempt that was not kept."""
    proc = build.get("process", build)
    return {"wall": proc["wall"], "cpu": proc["cpu"], "others_cpu_s": proc["cpu_use"]["others_cpu_s"],
            "contention": contention(proc["cpu_use"])}


def run_worker(name: str, args: dict, tmp: Path, *, sample_rss: bool = True) -> dict:
    """Run a worker in a child process (GNU time for its peak RSS); return its JSON result and process figures."""
    import bench_validate as bv

    out = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".json", dir=tmp)[1])
    cmd = [sys.executable, str(ENTRY), "--worker", name, "--worker-args", json.dumps(args),
           "--worker-out", str(out)]
    with TreeSampler() as sampler:
        r = bv.run(cmd, sample_rss=sample_rss)
    if r["rc"] != 0:
        raise RuntimeError(f"worker {name} failed (exit {r['rc']}):\n{r['stderr'][-4000:]}")
    result = json.loads(out.read_text("utf-8"))
    result["process"] = {k: r[k] for k in ("wall", "cpu", "maxrss_mb", "tree_rss_mb")}
    result["process"]["cpu_use"] = sampler.result(r["cpu"])
    out.unlink()
    return result
