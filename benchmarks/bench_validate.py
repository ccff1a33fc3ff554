#!/usr/bin/env python3
"""Benchmark loading and validation on the synthetic national-scale corpus (issue 2).

    .venv/bin/python benchmarks/bench_validate.py [--corpus DIR] [--repeat 3] [--json OUT] [--write]

Run it with the project's virtualenv Python: the real console script ``registry`` next to that
interpreter is what is timed. Without --corpus, the corpus is generated first (gen_corpus.py,
--count/--seed) into a temporary folder that is removed at the end.

Measured in one run, on the same files:
  (a) loading MB/s (wall and CPU s): registry.loader.load_bytes vs PyYAML CSafeLoader on the whole corpus,
      interleaved per file (the order swapped every file), and the
      pure-Python SafeLoader on a sample (every Nth file; --pure-sample); ratios to the C loader.
  (b) ``registry validate FILE`` as a whole process: median wall time of --single-runs runs of the
      console script (after one warm-up), and the modules it imported (``python -X importtime``).
  (c) ``registry validate --jobs 1 DIR`` vs ``--jobs 2 DIR`` wall time (median of --repeat runs,
      in rounds, the order rotated every round) and the bare baseline (a separate process, in the same
      rounds): CSafeLoader parse + python-jsonschema
      Draft202012Validator with the format checker, one core, same files.
  (d) peak RSS of those runs: the largest single process (wait4 ru_maxrss, covers the workers) and
      the sum over the process tree (sampled from /proc every 20 ms).
  (e) --profile: where one core's time goes (in-process phase timings without a profiler, each
      rule separately, then cProfile), on a sample of files.
Wall times are disturbed by other load on the machine: the load average is printed before and
after each part, and CPU time (user+sys of the process and its workers) is given next to wall time.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from _machine import cpu_model, loadavg, tree_rss_kb, verdict  # noqa: E402
from _results import add_write_flags, write_section  # noqa: E402
from _yardstick import calibrate, reference_speed  # noqa: E402,F401  (bv.calibrate: used by the others)

SECTION = "## Issue 2: loading and validation"

FORBIDDEN = ("flask", "werkzeug", "jinja2", "sqlalchemy", "sqlmodel", "psycopg", "weasyprint", "pydyf",
             "fontTools", "whoosh", "tantivy", "gunicorn")
TARGETS = {"single_file_s": 0.5, "corpus_jobs2_s": 15.0, "loader_ratio_min": 0.9}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- process running with wall, CPU and memory ----------------------------------------------


TIME = Path("/usr/bin/time")


def run(cmd: list[str], *, sample_rss: bool = False) -> dict:
    """Run a command; return wall s, CPU s (incl. reaped children), exit code, output and, with
    ``sample_rss``, peak RSS: of the largest single process (GNU time's %M: the command and the
    workers it reaped) and of the whole process tree (sum of VmRSS, sampled every 20 ms).

    ru_maxrss of our own wait4 is not used: a child forked from this (large) process starts with our
    high-water mark, which survives exec."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        if sample_rss and TIME.exists():
            cmd = [str(TIME), "-f", "%M", "-o", timing.name, *cmd]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err)
        peak = [0]
        stop = threading.Event()

        def sampler() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))
                stop.wait(0.02)

        thread = threading.Thread(target=sampler, daemon=True) if sample_rss else None
        if thread:
            thread.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted: do not leave the child running
            proc.kill()
            proc.wait()
            stop.set()
            raise
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if thread:
            stop.set()
            thread.join()
        out.seek(0)
        err.seek(0)
        maxrss = None
        if sample_rss and TIME.exists():
            numbers = re.findall(r"^\d+$", timing.read(), re.M)
            maxrss = int(numbers[-1]) / 1024 if numbers else None
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rc": proc.returncode,
                "maxrss_mb": maxrss, "tree_rss_mb": peak[0] / 1024 if sample_rss else None,
                "stdout": out.read().decode("utf-8", "replace"), "stderr": err.read().decode("utf-8", "replace")}


# --- the corpus ------------------------------------------------------------------------------


def corpus_files(folder: Path) -> list[Path]:
    # the same order as registry.validate.iter_yaml_files
    return sorted((p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()), key=os.fspath)


def doc_stats(doc: dict, acc: dict) -> None:
    for section in doc["work_requirements"]["sections"]:
        for block in section["functions"]:
            for content in block["work_contents"]:
                for key in ("requirements", "knowledge"):
                    for item in content[key]:
                        acc[key] += 1
                        text = item["text"]
                        if isinstance(text, dict) and "en" in text:
                            acc["bilingual"] += 1
                            acc["en_words"].append(len(text["en"].split()))
                        else:
                            acc["zh_only"] += 1


# --- (a) loading -------------------------------------------------------------------------------


def time_loader(fn, blobs: list[bytes], stats: dict | None = None, cpu: list | None = None) -> float:
    """Seconds to parse every blob (each call timed; statistics gathered outside the timing); the CPU
    seconds of the same calls are appended to ``cpu`` when given."""
    total = cpu_total = 0.0
    gc.collect()
    for blob in blobs:
        c = time.process_time()
        t = time.perf_counter()
        doc = fn(blob)
        total += time.perf_counter() - t
        cpu_total += time.process_time() - c
        if stats is not None:
            doc_stats(doc if isinstance(doc, dict) else doc.data, stats)
        del doc
    if cpu is not None:
        cpu.append(cpu_total)
    return total


def part_a(files: list[Path], args) -> dict:
    import yaml

    from registry.loader import load_bytes

    log(f"(a) loading; load average {loadavg()}")
    blobs = [p.read_bytes() for p in files]
    mb = sum(map(len, blobs)) / 1e6
    csafe = lambda b: yaml.load(b, Loader=yaml.CSafeLoader)  # noqa: E731
    pure = lambda b: yaml.load(b, Loader=yaml.SafeLoader)  # noqa: E731

    def events_only(b: bytes) -> None:
        parser = yaml.CSafeLoader(b)
        try:
            while parser.check_event():
                parser.get_event()
        finally:
            parser.dispose()

    def with_positions(b: bytes):
        loaded = load_bytes(b)
        loaded.locate(())  # builds the line/column table, as an error report does
        return loaded

    stats = {"requirements": 0, "knowledge": 0, "bilingual": 0, "zh_only": 0, "en_words": []}
    runs: dict[str, list[float]] = {"project": [], "csafe": []}
    cpus: dict[str, list[float]] = {"project": [], "csafe": []}
    loaders = {"csafe": csafe, "project": load_bytes}
    # interleaved per file: each file is parsed by both loaders one after the other (the order swapped every
    # file and every pass), so that both see the same machine at the same moment
    for r in range(args.load_repeat):
        pass_s = {"csafe": 0.0, "project": 0.0}
        pass_cpu = {"csafe": 0.0, "project": 0.0}
        gc.collect()
        for i, blob in enumerate(blobs):
            order = ("csafe", "project") if (i + r) % 2 == 0 else ("project", "csafe")
            for name in order:
                cpu: list[float] = []
                pass_s[name] += time_loader(loaders[name], [blob], stats if (r == 0 and name == "csafe") else None,
                                            cpu)
                pass_cpu[name] += cpu[0]
        for name in runs:
            runs[name].append(pass_s[name])
            cpus[name].append(pass_cpu[name])
        log(f"    pass {r + 1}: csafe {runs['csafe'][-1]:.2f} s, project {runs['project'][-1]:.2f} s")
    step = max(1, len(blobs) // args.pure_sample)
    sample = blobs[::step][: args.pure_sample]
    smb = sum(map(len, sample)) / 1e6
    sample_loaders = {"events": events_only, "csafe": csafe, "project": load_bytes, "project_positions": with_positions,
                      "pure": pure}
    srun = dict.fromkeys(sample_loaders, 0.0)
    scpu = dict.fromkeys(sample_loaders, 0.0)
    for i, blob in enumerate(sample):  # interleaved per file, the order rotated every file
        names = list(sample_loaders)
        names = names[i % len(names):] + names[:i % len(names)]
        for name in names:
            cpu = []
            srun[name] += time_loader(sample_loaders[name], [blob], None, cpu)
            scpu[name] += cpu[0]
    log(f"    sample of {len(sample)} files: " + ", ".join(f"{k} {v:.2f} s" for k, v in srun.items()))
    med = {k: statistics.median(v) for k, v in runs.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpus.items()}
    words = sorted(stats.pop("en_words")) or [0]
    stats.update(en_words_min=words[0], en_words_median=words[len(words) // 2], en_words_max=words[-1])
    return {
        "mb": mb, "files": len(blobs), "runs": runs, "median_s": med, "cpu_runs": cpus, "median_cpu_s": med_cpu,
        "mbps": {k: mb / v for k, v in med.items()},
        "ratio_project_to_csafe": med["csafe"] / med["project"],
        "sample": {"files": len(sample), "every": step, "mb": smb, "s": srun, "cpu_s": scpu,
                   "mbps": {k: smb / v for k, v in srun.items()},
                   "ratio_to_csafe": {k: srun["csafe"] / v for k, v in srun.items()}},
        "corpus_stats": stats, "load_after": loadavg(),
    }


# --- (b) one file as a whole process -------------------------------------------------------------


def part_b(script: Path, files: list[Path], args) -> dict:
    log(f"(b) single file; load average {loadavg()}")
    largest = max(files, key=lambda p: p.stat().st_size)
    targets = [("largest synthetic", largest)]
    real = sorted((REPO / "standards").glob("*/*.yaml"))
    if real:
        targets.append(("real (repo standards/)", max(real, key=lambda p: p.stat().st_size)))
    out = []
    for label, path in targets:
        cmd = [str(script), "validate", str(path)]
        run(cmd)  # warm-up (page cache, .pyc)
        results = [run(cmd) for _ in range(args.single_runs)]
        walls = [r["wall"] for r in results]
        imp = run([sys.executable, "-X", "importtime", str(script), "validate", str(path)])
        modules, cumulative = [], {}
        for line in imp["stderr"].splitlines():
            m = re.match(r"import time:\s+(\d+)\s*\|\s*(\d+)\s*\|(\s*)(\S+)", line)
            if m:
                modules.append(m.group(4))
                if len(m.group(3)) == 1:  # top level: one space after the bar
                    cumulative[m.group(4)] = int(m.group(2)) / 1e6
        tops = sorted(cumulative.items(), key=lambda kv: -kv[1])[:6]
        forbidden = sorted({m for m in modules if m.split(".")[0] in FORBIDDEN})
        out.append({
            "label": label, "file": os.path.relpath(path, REPO) if path.is_relative_to(REPO) else path.name,
            "bytes": path.stat().st_size, "rc": results[0]["rc"], "summary": results[0]["stderr"].strip(),
            "walls": walls, "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
            "cpu_median_s": statistics.median(r["cpu"] for r in results),
            "modules": len(modules), "forbidden": forbidden,
            "imports_jsonschema": any(m.split(".")[0] == "jsonschema" for m in modules),
            "imports_jsonschema_rs": any(m.split(".")[0] == "jsonschema_rs" for m in modules),
            "top_imports": tops,
        })
        log(f"    {label}: median {out[-1]['median_s']:.3f} s, forbidden imports: {forbidden or 'none'}")
    return {"targets": out, "load_after": loadavg()}


# --- (c, d) the whole corpus -----------------------------------------------------------------------


BASELINE_CODE = r"""
import json, sys, time
t0 = time.perf_counter()
import yaml
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[2], encoding="utf-8"))
validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
files = open(sys.argv[1], encoding="utf-8").read().split("\n")
t1 = time.perf_counter()
parse = check = 0.0
valid = 0
for name in files:
    a = time.perf_counter()
    with open(name, "rb") as fh:
        doc = yaml.load(fh.read(), Loader=yaml.CSafeLoader)
    b = time.perf_counter()
    valid += validator.is_valid(doc)
    check += time.perf_counter() - b
    parse += b - a
    del doc
print(json.dumps({"setup": t1 - t0, "parse": parse, "schema": check, "valid": valid, "files": len(files)}))
"""


def part_c(script: Path, corpus: Path, files: list[Path], args) -> dict:
    log(f"(c) whole corpus; load average {loadavg()}")
    runs: dict[str, list[dict]] = {"jobs1": [], "jobs2": []}
    baseline = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(map(str, files)))
        listing = fh.name
    schema = REPO / "schemas" / "standard-1.0.json"

    def one(name: str, r: int) -> None:
        if name == "baseline":
            res = run([sys.executable, "-c", BASELINE_CODE, listing, str(schema)], sample_rss=True)
            if res["rc"] != 0:
                raise SystemExit(f"baseline failed:\n{res['stderr']}")
            res["inner"] = json.loads(res["stdout"])
            res["load"] = loadavg()
            baseline.append(res)
            log(f"    round {r + 1} baseline: {res['wall']:.2f} s wall, {res['cpu']:.2f} s CPU (parse "
                f"{res['inner']['parse']:.2f} s + jsonschema {res['inner']['schema']:.2f} s), "
                f"{res['inner']['valid']}/{res['inner']['files']} valid")
            return
        jobs = int(name[-1])
        res = run([str(script), "validate", "--jobs", str(jobs), str(corpus)], sample_rss=True)
        res["load"] = loadavg()
        runs[name].append(res)
        log(f"    round {r + 1} --jobs {jobs}: {res['wall']:.2f} s wall, {res['cpu']:.2f} s CPU, rc {res['rc']}, "
            f"{res['stderr'].strip().splitlines()[-1] if res['stderr'].strip() else ''}; load {res['load']}")

    try:
        # rounds: each peer once per round (the baseline in the first --baseline-repeat rounds), the order
        # rotated every round, so that no peer always runs first or last on a shared machine
        for r in range(max(args.repeat, args.baseline_repeat)):
            names = [n for n, k in (("jobs1", args.repeat), ("jobs2", args.repeat), ("baseline", args.baseline_repeat))
                     if r < k]
            names = names[r % len(names):] + names[:r % len(names)]
            for name in names:
                one(name, r)
    finally:
        os.unlink(listing)

    def summary(rs: list[dict]) -> dict:
        return {"walls": [r["wall"] for r in rs], "median_s": statistics.median(r["wall"] for r in rs),
                "cpu_median_s": statistics.median(r["cpu"] for r in rs),
                "maxrss_mb": max((r["maxrss_mb"] or 0) for r in rs), "tree_rss_mb": max(r["tree_rss_mb"] for r in rs),
                "all_valid": all(r["rc"] == 0 for r in rs),
                "summary": rs[-1]["stderr"].strip().splitlines()[-1] if rs[-1]["stderr"].strip() else "",
                "first_problems": rs[-1]["stdout"].splitlines()[:5], "loads": [r["load"] for r in rs]}

    out = {k: summary(v) for k, v in runs.items()}
    b = summary(baseline)
    b.update(parse_s=statistics.median(r["inner"]["parse"] for r in baseline),
             schema_s=statistics.median(r["inner"]["schema"] for r in baseline),
             valid=baseline[-1]["inner"]["valid"], files=baseline[-1]["inner"]["files"])
    out["baseline"] = b
    out["speedup_jobs2_vs_jobs1"] = out["jobs1"]["median_s"] / out["jobs2"]["median_s"]
    out["speedup_jobs2_vs_baseline"] = b["median_s"] / out["jobs2"]["median_s"]
    out["speedup_jobs1_vs_baseline"] = b["median_s"] / out["jobs1"]["median_s"]
    out["load_after"] = loadavg()
    return out


# --- (e) profile of one core -------------------------------------------------------------------------


def part_e(files: list[Path], args) -> dict:
    import yaml

    from registry import loader as loader_mod
    from registry.rules import RULES, Context
    from registry.schema import CURRENT_VERSION, get_gate
    from registry.validate import validate_file

    log(f"(e) profile; load average {loadavg()}")
    step = max(1, len(files) // args.profile_files)
    sample = files[::step][: args.profile_files]
    gate = get_gate(CURRENT_VERSION)
    t = {"read": 0.0, "check_text": 0.0, "load_bytes": 0.0, "events_only": 0.0, "schema_gate": 0.0}
    per_rule = {rule_id: 0.0 for rule_id in RULES}
    mb = 0
    total = 0.0
    gc.collect()
    for path in sample:  # phases, then the real per-file function, on the same file back to back
        a = time.perf_counter()
        blob = path.read_bytes()
        b = time.perf_counter()
        loader_mod._check_text(blob, loader_mod.DEFAULT_LIMITS)
        c = time.perf_counter()
        loaded = loader_mod.load_bytes(blob, file=str(path))
        d = time.perf_counter()
        parser = yaml.CSafeLoader(blob)
        while parser.check_event():
            parser.get_event()
        parser.dispose()
        e = time.perf_counter()
        gate.is_valid(loaded.data)
        f = time.perf_counter()
        t["read"] += b - a
        t["check_text"] += c - b
        t["load_bytes"] += d - c
        t["events_only"] += e - d
        t["schema_gate"] += f - e
        mb += len(blob)
        context = Context(file=str(path))
        for rule_id, (fn, _) in RULES.items():
            g = time.perf_counter()
            list(fn(loaded.data, context))
            per_rule[rule_id] += time.perf_counter() - g
        del loaded
        g = time.perf_counter()
        validate_file(path)
        total += time.perf_counter() - g
    profiler = cProfile.Profile()
    profiler.enable()
    for path in sample:
        validate_file(path)
    profiler.disable()
    buf = io.StringIO()
    stats = pstats.Stats(profiler, stream=buf)
    profiled_total = stats.total_tt
    rows = []
    for (filename, line, name), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append((tt, ct, nc, f"{os.path.relpath(filename, REPO) if filename.startswith(str(REPO)) else filename}:{line}({name})"))
    rows.sort(reverse=True)
    return {"files": len(sample), "every": step, "mb": mb / 1e6, "phases": t, "rules": per_rule,
            "validate_file_s": total, "cprofile_total_s": profiled_total,
            "cprofile_top": [{"tottime": tt, "cumtime": ct, "calls": nc, "function": fn} for tt, ct, nc, fn in rows[:15]],
            "load_after": loadavg()}


# --- reporting -----------------------------------------------------------------------------------


def report(res: dict) -> str:
    m, lines = res["machine"], []
    w = lines.append
    w(f"Machine: {m['cpu']}, nproc {m['nproc']}, Python {m['python']}, PyYAML {m['pyyaml']} "
      f"(libyaml {m['libyaml']}), jsonschema {m['jsonschema']}, jsonschema-rs {m['jsonschema_rs']}; "
      f"load average at start {m['load_start']}, at end {res.get('load_end')}; CPU yardstick (10M-addition "
      f"Python loop, CPU s, lower = faster core) at start {m['calibration_start_s']:.2f}, at end "
      f"{res.get('calibration_end_s', float('nan')):.2f}")
    ref = [m["reference_mbps_start"], res.get("reference_mbps_end", float("nan"))]
    w(f"Machine speed reference: PyYAML CSafeLoader on documents shaped like the baselines.md corpus "
      f"(approximate imitation, {{id, lang, text}} statements) ran at {ref[0]:.2f} MB/s at the start and "
      f"{ref[1]:.2f} MB/s at the end; baselines.md measured 5.88 MB/s on its corpus, i.e. the C loader ran "
      f"at about {min(x for x in ref if x == x) / 5.88:.1f}x to {max(x for x in ref if x == x) / 5.88:.1f}x "
      f"the baselines' speed here (above 1: faster here; the corpus imitation is approximate)")
    c = res["corpus"]
    w(f"Corpus: {c['files']:,} files, {c['bytes']:,} bytes ({c['bytes'] / 1e6:.1f} MB), {c.get('source')}")
    if "a" in res:
        a = res["a"]
        s = a["corpus_stats"]
        w(f"Items: {s['requirements'] + s['knowledge']:,} ({s['requirements']:,} requirements + {s['knowledge']:,} "
          f"knowledge); {s['bilingual']:,} bilingual zh+en, {s['zh_only']:,} zh only; English words "
          f"min/median/max {s['en_words_min']}/{s['en_words_median']}/{s['en_words_max']}")
        w("")
        w(f"(a) Loading, whole corpus ({a['mb']:.1f} MB, {a['files']} files, median of {len(a['runs']['csafe'])} "
          f"pass(es); the two loaders interleaved per file, the order swapped every file); load average after: "
          f"{a['load_after']}")
        w("")
        w("| loader | wall s | CPU s | MB/s | ratio to CSafeLoader (>1 = faster) |")
        w("|---|---|---|---|---|")
        w(f"| PyYAML CSafeLoader (`yaml.load`) | {a['median_s']['csafe']:.2f} | {a['median_cpu_s']['csafe']:.2f} | "
          f"{a['mbps']['csafe']:.2f} | 1.00 |")
        w(f"| registry.loader.load_bytes | {a['median_s']['project']:.2f} | {a['median_cpu_s']['project']:.2f} | "
          f"{a['mbps']['project']:.2f} | {a['ratio_project_to_csafe']:.2f} |")
        sm = a["sample"]
        w("")
        w(f"Sample: every {sm['every']}th file, {sm['files']} files, {sm['mb']:.1f} MB, one pass each, the loaders "
          f"interleaved per file (the order rotated every file):")
        w("")
        w("| loader | wall s | CPU s | MB/s | ratio to CSafeLoader |")
        w("|---|---|---|---|---|")
        names = {"events": "libyaml events only (CParser.get_event loop, no objects built)",
                 "csafe": "PyYAML CSafeLoader", "project": "registry.loader.load_bytes",
                 "project_positions": "load_bytes + line/column table built (error path)",
                 "pure": "PyYAML SafeLoader (pure Python)"}
        for k in ("events", "csafe", "project", "project_positions", "pure"):
            w(f"| {names[k]} | {sm['s'][k]:.2f} | {sm['cpu_s'][k]:.2f} | {sm['mbps'][k]:.2f} | "
              f"{sm['ratio_to_csafe'][k]:.2f} |")
    if "b" in res:
        w("")
        w(f"(b) `registry validate FILE`, whole process, {res['args']['single_runs']} runs after a warm-up; "
          f"load average after: {res['b']['load_after']}")
        w("")
        w("| file | bytes | median wall s | min / max s | CPU s | modules imported | web/db/PDF modules | "
          "jsonschema (Python) imported |")
        w("|---|---|---|---|---|---|---|---|")
        for t in res["b"]["targets"]:
            w(f"| {t['label']}: {t['file']} | {t['bytes']:,} | {t['median_s']:.3f} | {t['min_s']:.3f} / {t['max_s']:.3f} "
              f"| {t['cpu_median_s']:.3f} | {t['modules']} | {', '.join(t['forbidden']) or 'none'} | "
              f"{'yes' if t['imports_jsonschema'] else 'no'} |")
        t = res["b"]["targets"][0]
        w("")
        w("Largest top-level imports (cumulative s, from -X importtime): "
          + ", ".join(f"{name} {s:.3f}" for name, s in t["top_imports"]))
    if "c" in res:
        c = res["c"]
        w("")
        w(f"(c, d) Whole corpus, median of {len(c['jobs1']['walls'])} runs (baseline: {len(c['baseline']['walls'])}), "
          f"in rounds: each command once per round, the order rotated every round; load average after: "
          f"{c['load_after']}")
        w("")
        w("| command | median wall s | runs s | CPU s | peak RSS largest process MB (GNU time) | peak RSS process tree MB (sampled) | result |")
        w("|---|---|---|---|---|---|---|")
        for key, label in (("jobs1", "registry validate --jobs 1"), ("jobs2", "registry validate --jobs 2")):
            r = c[key]
            w(f"| `{label}` | {r['median_s']:.2f} | {', '.join(f'{x:.2f}' for x in r['walls'])} | {r['cpu_median_s']:.2f} "
              f"| {r['maxrss_mb']:.0f} | {r['tree_rss_mb']:.0f} | {r['summary']} |")
        b = c["baseline"]
        w(f"| bare baseline, one core: CSafeLoader + jsonschema Draft202012Validator(format_checker) | "
          f"{b['median_s']:.2f} (parse {b['parse_s']:.2f} + jsonschema {b['schema_s']:.2f}) | "
          f"{', '.join(f'{x:.2f}' for x in b['walls'])} | {b['cpu_median_s']:.2f} | {b['maxrss_mb']:.0f} | "
          f"{b['tree_rss_mb']:.0f} | {b['valid']}/{b['files']} schema-valid |")
        w("")
        w(f"Ratios: --jobs 2 is {c['speedup_jobs2_vs_jobs1']:.2f}x faster than --jobs 1; "
          f"{c['speedup_jobs2_vs_baseline']:.2f}x faster than the bare baseline; --jobs 1 is "
          f"{c['speedup_jobs1_vs_baseline']:.2f}x the baseline's speed.")
    if "e" in res:
        e = res["e"]
        w("")
        w(f"(e) One core, in process, sample of {e['files']} files ({e['mb']:.1f} MB): validate_file total "
          f"{e['validate_file_s']:.2f} s; load average after: {e['load_after']}")
        w("")
        w("| phase | s | share of validate_file |")
        w("|---|---|---|")
        total = e["validate_file_s"]
        ph = e["phases"]
        rows = [("read file", ph["read"]), ("load_bytes (all)", ph["load_bytes"]),
                ("  of which _check_text (UTF-8 decode + control-char regex)", ph["check_text"]),
                ("  of which libyaml events (CParser; measured alone)", ph["events_only"]),
                ("  of which the Python event walk (load_bytes - the two above)",
                 ph["load_bytes"] - ph["check_text"] - ph["events_only"]),
                ("schema gate (jsonschema_rs is_valid)", ph["schema_gate"])]
        rules_total = sum(e["rules"].values())
        rows.append(("rules (all)", rules_total))
        for rule_id, s in sorted(e["rules"].items(), key=lambda kv: -kv[1]):
            rows.append((f"  rule {rule_id}", s))
        for label, s in rows:
            w(f"| {label} | {s:.3f} | {100 * s / total:.1f}% |")
        w("")
        w(f"cProfile of the same loop (total {e['cprofile_total_s']:.2f} s with profiler overhead; C code inside "
          "libyaml is attributed to its Python caller):")
        w("")
        w("| tottime s | share | cumtime s | calls | function |")
        w("|---|---|---|---|---|")
        for row in e["cprofile_top"]:
            w(f"| {row['tottime']:.3f} | {100 * row['tottime'] / e['cprofile_total_s']:.1f}% | {row['cumtime']:.3f} "
              f"| {row['calls']} | `{row['function']}` |")
    w("")
    w("Targets:")
    if "b" in res:
        t = res["b"]["targets"][0]
        w(f"- one file as a whole process < {TARGETS['single_file_s']} s: {t['median_s']:.3f} s -> "
          f"{verdict(t['median_s'] < TARGETS['single_file_s'])}")
        w(f"- no web/database/PDF modules imported by `registry validate`: "
          f"{', '.join(t['forbidden']) or 'none imported'} -> {verdict(not t['forbidden'])}")
    if "a" in res:
        r = res["a"]["ratio_project_to_csafe"]
        w(f"- loading at the C loader's speed (ratio >= {TARGETS['loader_ratio_min']}): {r:.2f} -> "
          f"{verdict(r >= TARGETS['loader_ratio_min'])}")
    if "c" in res:
        s = res["c"]["jobs2"]["median_s"]
        w(f"- whole corpus with both cores < {TARGETS['corpus_jobs2_s']} s: {s:.2f} s -> "
          f"{verdict(s < TARGETS['corpus_jobs2_s'] and res['c']['jobs2']['all_valid'])}")
    return "\n".join(lines)


def machine() -> dict:
    import yaml

    try:
        from importlib.metadata import version
        js, jrs = version("jsonschema"), version("jsonschema-rs")
    except Exception:  # pragma: no cover
        js = jrs = "?"
    libyaml = "?"
    try:
        from yaml import _yaml
        libyaml = _yaml.get_version_string()
    except Exception:
        pass
    return {"cpu": cpu_model(), "nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
            "python": platform.python_version(), "pyyaml": yaml.__version__, "libyaml": libyaml,
            "jsonschema": js, "jsonschema_rs": jrs, "load_start": loadavg(), "kernel": platform.release(),
            "calibration_start_s": calibrate(), "reference_mbps_start": reference_speed()}


def main(argv: list[str] | None = None) -> int:
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `kill` cleans up the child and temp dir
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="an existing corpus folder (default: generate one)")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tmp", type=Path, default=None, help="where to generate the corpus [system temp dir]")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each `registry validate` corpus command [3]")
    parser.add_argument("--baseline-repeat", type=int, default=1, help="runs of the bare baseline [1]")
    parser.add_argument("--load-repeat", type=int, default=1, help="passes of each loader over the corpus [1]")
    parser.add_argument("--pure-sample", type=int, default=200, help="files for the pure-Python loader [200]")
    parser.add_argument("--single-runs", type=int, default=10, help="runs of `registry validate FILE` [10]")
    parser.add_argument("--profile", action="store_true", help="also (e): where one core's time goes")
    parser.add_argument("--profile-files", type=int, default=200, help="files for --profile [200]")
    parser.add_argument("--parts", default="abc", help="parts to run, e.g. 'a', 'bc' [abc; e with --profile]")
    parser.add_argument("--json", type=Path, help="also write all figures as JSON here")
    add_write_flags(parser)
    args = parser.parse_args(argv)

    script = Path(sys.executable).with_name("registry")
    if not script.exists():
        found = shutil.which("registry")
        if not found:
            parser.error("no `registry` console script next to this Python or on PATH; run with .venv/bin/python")
        script = Path(found)
    shown = sys.argv[1:] if argv is None else argv
    res: dict = {"command": ".venv/bin/python benchmarks/bench_validate.py" + (" " + " ".join(shown) if shown else ""),
                 "started": time.strftime("%Y-%m-%d %H:%M"), "machine": machine(), "args": vars(args) | {"corpus": str(args.corpus), "tmp": str(args.tmp),
                                                             "json": str(args.json)}}
    log(f"machine: {res['machine']}")
    tmpdir = None
    try:
        if args.corpus:
            corpus = args.corpus
            source = f"given: {corpus}"
        else:
            import gen_corpus

            tmpdir = tempfile.mkdtemp(prefix="bench-corpus-", dir=args.tmp)
            corpus = Path(tmpdir)
            log(f"generating {args.count} standards (seed {args.seed}) into {corpus}")
            t = time.perf_counter()
            stats = gen_corpus.generate(corpus, args.count, args.seed, 150 * args.count, os.cpu_count() or 1)
            gen_s = time.perf_counter() - t
            source = (f"generated by gen_corpus.py --count {args.count} --seed {args.seed} in {gen_s:.1f} s, "
                      f"sha256 {stats['sha256'][:16]}…")
            log(f"    {stats}")
        files = corpus_files(corpus)
        res["corpus"] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files), "source": source}
        parts = args.parts + ("e" if args.profile and "e" not in args.parts else "")
        if "a" in parts:
            res["a"] = part_a(files, args)
        if "b" in parts:
            res["b"] = part_b(script, files, args)
        if "c" in parts:
            res["c"] = part_c(script, corpus, files, args)
        if "e" in parts:
            res["e"] = part_e(files, args)
        res["load_end"] = loadavg()
        res["calibration_end_s"] = calibrate()
        res["reference_mbps_end"] = reference_speed()
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
    text = report(res)
    print(text)
    if args.json:
        for part in res.get("c", {}).values():
            if isinstance(part, dict):
                part.pop("first_problems", None) if part.get("all_valid") else None
        args.json.write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    if args.write:
        write_section(SECTION, f"{SECTION}\n\nCommand: `{res['command']}` ({res['started']}, {platform.node()}, "
                      f"{os.cpu_count()} cores; run under the machine's exclusive lock). The script prints the section "
                      "below. `registry validate` answers yes/no for a valid file with jsonschema-rs (the same schema, "
                      "formats asserted) and runs python-jsonschema, the authority for the error messages, only on a "
                      "file the fast check refuses; the baseline is python-jsonschema on every file.\n\n" + text)
        log(f"wrote the '{SECTION}' section of RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
