"""What the benchmarks read about this machine and its processes (Linux /proc).

Shared by the benchmark scripts: the load average printed next to every wall time, the machine
line of a report, and the memory and process tree of the commands they time.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def machine() -> str:
    return f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), else what ``platform`` says, else "?"."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def status_kb(pid: int | str, key: str) -> int:
    """A ``kB`` field of /proc/PID/status (``VmRSS``, ``VmHWM``, ``RssAnon``...), 0 when unknown."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The direct children of a process (of all its threads)."""
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                out.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return out


def tree_rss_kb(pid: int) -> int:
    """The resident memory of a process and all its descendants, summed."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += status_kb(p, "VmRSS")
        stack.extend(children(p))
    return total


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def private_memory_mb(pid: int | str) -> dict:
    """RSS, PSS and USS (private: clean + dirty pages no other process maps) of a process in MB, from
    /proc/PID/smaps_rollup; empty when the process is gone."""
    fields = {"Rss": 0, "Pss": 0, "Private_Clean": 0, "Private_Dirty": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                key = line.split(":", 1)[0]
                if key in fields:
                    fields[key] = int(line.split()[1])
    except OSError:
        return {}
    return {"rss_mb": fields["Rss"] / 1024, "pss_mb": fields["Pss"] / 1024,
            "uss_mb": (fields["Private_Clean"] + fields["Private_Dirty"]) / 1024}


def cpu_seconds(pid: int | str) -> float:
    """User + system CPU seconds of a process so far, its own and its reaped children's (so that the sum over
    a process tree does not drop when a child ends), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def stop_server(proc, log=None) -> None:
    """Stop a server started in its own session: SIGTERM, then SIGKILL of its process group after 30 s."""
    import signal
    import subprocess

    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if log is not None:
        log.close()
