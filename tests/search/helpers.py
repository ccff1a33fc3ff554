"""What the search tests share: the API calls, the sample data, feeds without a catalog, damage."""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import STANDARDS, is_lock_file

API = "/api/v1/search"
CODE = "2-02-38-03"  # published as 1.0 (superseded) and 1.1 (current)
SAMPLE = STANDARDS / CODE / "1.1.yaml"
OLD_TEXT = "能使用数据库导出、接口调用等方式从业务系统采集结构化数据。".encode()
UNIQUE = "量子纠缠校验"  # in no standard of the corpus


def search(client, **params) -> dict:
    response = client.get(API, query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def error(client, status: int = 400, **params) -> dict:
    response = client.get(API, query_string=params)
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()["error"]
    assert body["message"]
    return body


def unavailable(client, **params) -> dict:
    response = client.get(API, query_string=params)
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Retry-After"]
    body = response.get_json()["error"]
    assert body["code"] == "service_unavailable"
    return body


def ids(result: dict) -> list[tuple]:
    return [(h["code"], h["version"], h["kind"], h["item_id"]) for h in result["hits"]]


def service_of(application):
    return application.extensions["registry.search"]


def copy_index(corpus_index: Path, data_dir: Path) -> Path:
    """A copy of the session's index in ``data_dir``, for a test that damages its files."""
    target = data_dir.resolve() / "index"
    shutil.copytree(corpus_index, target, symlinks=True, dirs_exist_ok=True)
    return target


def _link_or_copy_lock(source: str, target: str) -> None:
    if is_lock_file(Path(source)):  # a lock taken on a shared inode would hold every other copy
        shutil.copy2(source, target)
        return
    try:
        os.link(source, target)
    except OSError:  # another file system (a --basetemp elsewhere): a copy
        shutil.copy2(source, target)


def link_index(corpus_index: Path, data_dir: Path) -> Path:
    """The session's index in ``data_dir`` as hard links to its files (the lock files copied), for an
    app that searches and updates it: the index never changes a file it wrote (it writes new segments
    and mirrors, replaces its checksums by renaming, and deletes), so the links cost no copy and the
    session's files stay as built. A test that damages files in place needs :func:`copy_index`."""
    target = data_dir.resolve() / "index"
    shutil.copytree(corpus_index, target, symlinks=True, dirs_exist_ok=True, copy_function=_link_or_copy_lock)
    return target


def random_bytes(segments: list[Path]) -> None:
    """Random bytes over the middle half of each segment file, its size unchanged."""
    rnd = random.Random(7)
    for segment in segments:
        size = segment.stat().st_size
        with open(segment, "r+b") as handle:
            handle.seek(size // 4)
            handle.write(rnd.randbytes(size // 2))


# --- publishing through the API ------------------------------------------------------------------


def publish(client, body: dict, registrar: dict, source: bytes) -> None:
    created = client.post("/api/v1/drafts", data=source, headers={**body, "Content-Type": "application/yaml"})
    assert created.status_code == 201, created.get_data(as_text=True)
    draft_id = created.get_json()["id"]
    assert client.post(f"/api/v1/drafts/{draft_id}/submit", headers=body).status_code == 200
    assert client.post(f"/api/v1/drafts/{draft_id}/approve", headers=registrar).status_code == 200
    published = client.post(f"/api/v1/drafts/{draft_id}/publish", headers=registrar,
                            json={"bump_reason": "search test"})
    assert published.status_code == 201, published.get_data(as_text=True)


def revised(version: str = "1.2") -> bytes:
    source = SAMPLE.read_bytes().replace(b'version: "1.1"', f'version: "{version}"'.encode(), 1)
    assert source.count(OLD_TEXT) == 1
    return source.replace(OLD_TEXT, f"能使用{UNIQUE}方式从业务系统采集结构化数据。".encode())


def wait_for(client, predicate, seconds: float = 60.0, **params) -> float:
    """Search until ``predicate`` holds of the answer; a generous limit (how fast is for benchmarks/)."""
    started = time.monotonic()
    while True:
        if predicate(search(client, **params)):
            return time.monotonic() - started
        if time.monotonic() - started > seconds:
            pytest.fail(f"not visible within {seconds} s: {params}")
        time.sleep(0.02)


# --- feeds without a catalog ---------------------------------------------------------------------


class ListFeed:
    """A change feed over an in-memory list (no catalog): enough to build and write an index."""

    def __init__(self, records=()):
        self.records = list(records)

    def head(self) -> int:
        return 0

    def changes(self, after, limit):
        return [], after

    def versions(self, part, parts):
        return iter(self.records[part::parts])

    def worker_copy(self):
        return self


class GapFeed(ListFeed):
    """A change log as PostgreSQL may show it: a transaction that took seq 2 commits after seq 3."""

    def __init__(self):
        super().__init__()
        self.entries = {}

    def head(self) -> int:
        return max(self.entries, default=0)

    def read(self, after, limit, recheck=(), *, records=True):
        from registry.search.records import Changes

        seqs = sorted(s for s in self.entries if s > after)[:limit]
        late = [s for s in recheck if s in self.entries]
        found = [self.entries[s] for s in seqs + late] if records else []
        return Changes(found, seqs[-1] if seqs else after, seqs + late)


def records():
    """Every sample standard as a version record (all superseded: searched with all_versions)."""
    from registry.loader import load_bytes
    from registry.search.records import VersionRecord

    out = []
    for path in sorted(STANDARDS.rglob("*.yaml")):
        data = load_bytes(path.read_bytes()).data
        out.append(VersionRecord(data["code"], data["version"], "superseded", data))
    return out


# --- a small segment of postings, without an engine ----------------------------------------------

#: a small segment: document -> field -> the terms at positions 0, 1, 2, ...
DOCS = [
    {"body": "data cleaning of data sets", "kind": "requirement", "vid": "A@1.0"},
    {"body": "cleaning data", "kind": "requirement", "vid": "A@1.0"},
    {"body": "data quality and data cleaning rules", "kind": "knowledge", "vid": "A@1.1"},
    {"body": "network security", "kind": "requirement", "vid": "B@1.0"},
    {"body": "security of data cleaning", "kind": "knowledge", "vid": "B@2.0"},
    {"body": "data", "kind": "standard", "vid": "A@1.1"},
]


def small_mirror(docs=DOCS):
    """The mirror of ``docs``: ``body`` scored with positions, ``kind`` and ``vid`` for filtering."""
    from registry.search.postings import MirrorBuilder

    builder = MirrorBuilder(len(docs))
    words = sorted({w for d in docs for w in d["body"].split()})
    for word in words:
        found, weights, gaps = [], [], []
        for n, doc in enumerate(docs):
            positions = [i for i, w in enumerate(doc["body"].split()) if w == word]
            if positions:
                found.append(n)
                weights.append(float(len(positions)))
                gaps.append([b - a for a, b in zip([0, *positions], positions)])
        builder.add("body", word, found, weights, gaps)
    for name in ("kind", "vid"):
        for value in sorted({d[name] for d in docs if name in d}):
            builder.add(name, value, [n for n, d in enumerate(docs) if d.get(name) == value])
    lengths = [len(d["body"].split()) for d in docs]
    builder.set_lengths("body", lengths, sum(lengths))
    return builder.build()


def evaluated(plan, mirror=None):
    """The documents ``plan`` matches in ``mirror`` (the small one by default), and the scores."""
    import numpy as np

    from registry.search.scoring import Statistics, evaluate

    mirror = mirror or small_mirror()
    mask, score = evaluate(plan, mirror, Statistics([mirror]))
    return set(np.flatnonzero(mask).tolist()), score
