"""How fast this machine is right now: yardsticks printed beside the benchmarks' wall times.

``calibrate`` times a fixed pure-Python loop (a core's speed, which drops when the host is contended);
``reference_speed`` runs PyYAML's C loader on documents shaped like the baselines.md corpus, so that a
loading speed here can be set against the one measured there.
"""

from __future__ import annotations

import time


def calibrate() -> float:
    """CPU seconds of a fixed pure-Python loop (10 million additions): a yardstick for how fast a core
    of this machine is right now; compare it between runs (it grows when the host is contended)."""
    started = time.process_time()
    x = 0
    for i in range(10_000_000):
        x += i
    return time.process_time() - started


def reference_blobs(n: int = 40) -> list[bytes]:
    """Documents shaped like the baselines.md corpus (its generator is not in this repository): levels ->
    functions -> work contents -> skills + knowledge, each statement {id, lang, text}, ~143 statements,
    20% Chinese, English about 20 words, block style. Approximate, for a machine-speed reference only."""
    import random

    rng = random.Random("reference")
    words = ("data model network cloud security deploy monitor configure analyse test report system user "
             "service platform quality device record process maintain design operate install calibrate").split()
    zh = "数据清洗数据标注模型训练网络安全云计算系统运维平台部署质量检测"
    blobs = []
    for d in range(n):
        out = [f"code: 9-{d % 90 + 10:02d}-00-00\ntitle:\n  en: Reference standard {d}\n  zh: 参考标准{d}\n"
               "sector: digital-technology\nstatus: active\nversion: '1.0'\npublished: '2022-01-01'\n"
               "definition:\n  en: Workers who operate and maintain systems.\n  zh: 从事系统运行维护的人员。\n"
               "keywords: [data, cloud, security]\nlevels:\n"]
        k = 0
        for lv in range(3):
            out.append(f"- level: {lv + 1}\n  functions:\n")
            for f in range(4):
                out.append(f"  - name: Function {f + 1}\n    work_contents:\n")
                for w in range(3):
                    out.append(f"    - name: Work content {w + 1}\n")
                    for kind, count in (("skills", 2 + (k % 2)), ("knowledge", 1 + (k % 2))):
                        out.append(f"      {kind}:\n")
                        for _ in range(count):
                            k += 1
                            if rng.random() < 0.2:
                                text, lang = zh[rng.randrange(10):][:rng.randint(12, 20)] + "。", "zh"
                            else:
                                text = " ".join(rng.choice(words) for _ in range(rng.randint(10, 25))).capitalize() + "."
                                lang = "en"
                            out.append(f"      - id: S{k}\n        lang: {lang}\n        text: {text}\n")
        blobs.append("".join(out).encode("utf-8"))
    return blobs


def reference_speed() -> float:
    """CSafeLoader MB/s (CPU time) on the baselines.md-shaped documents."""
    import yaml

    blobs = reference_blobs()
    started = time.process_time()
    for blob in blobs:
        yaml.load(blob, Loader=yaml.CSafeLoader)
    return sum(map(len, blobs)) / 1e6 / (time.process_time() - started)
