"""The SQLite FTS5 baseline: the same documents in an English (``porter unicode61``) and a Chinese
(``trigram``) table, the queries translated to FTS5, and the worker that builds it (step 4)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from _machine import status_kb

from .catalog import iter_versions
from .queries import load_queries


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_plan(query: dict) -> dict:
    """The FTS5 form of a query: English parts as one MATCH on the porter table (words ANDed, phrases
    quoted), each Chinese part as a substring: a MATCH on the trigram table when it has 3 or more
    characters, else ``instr()`` over the columns (trigram cannot match fewer than 3 characters)."""
    en_parts = [p for p in query["parts"] if p["lang"] == "en"]
    zh_parts = [p for p in query["parts"] if p["lang"] == "zh"]
    en_match = " AND ".join(_fts_string(p["text"]) for p in en_parts) or None
    zh = [("match", _fts_string(p["text"])) if len(p["text"]) >= 3 else ("instr", p["text"]) for p in zh_parts]
    return {"en": en_match, "zh": zh, "sector": query["filters"].get("sector"), "level": query["filters"].get("level")}


def fts5_sql(plan: dict, select: str, limit: int | None) -> tuple[str, list]:
    """SQL over the FTS5 tables for a plan; ``select`` is 'top' (rowids by rank), 'count' or 'keys'.

    The first MATCH drives the query (English table, else the trigram table, else a scan of the
    items); further Chinese parts are a trigram sub-select, or ``instr()`` on the driving rows."""
    params: list = []
    conditions: list[str] = []
    zh = list(plan["zh"])
    if plan["en"] is not None:
        table = "en"
        conditions.append("en MATCH ?")
        params.append(plan["en"])
    elif zh and zh[0][0] == "match":
        table = "zh"
        conditions.append("zh MATCH ?")
        params.append(zh.pop(0)[1])
    else:
        table = "items"
    rowid, rank = ("items.id", "items.id") if table == "items" else (f"{table}.rowid", f"{table}.rank")
    join = "" if table == "items" else f" JOIN items ON items.id = {table}.rowid"
    for mode, text in zh:
        if mode == "match":
            # unary + keeps the planner from driving the FTS table by rowid (one MATCH per listed row)
            conditions.append(f"+{rowid} IN (SELECT rowid FROM zh WHERE zh MATCH ?)")
            params.append(text)
        else:
            conditions.append("(instr(items.title, ?) > 0 OR instr(items.body, ?) > 0 OR instr(items.context, ?) > 0)")
            params.extend([text] * 3)
    if not any(mode == "instr" for mode, _ in zh) and table != "items":
        join = ""  # the FTS table's UNINDEXED columns are enough
        column = f"{table}."
    else:
        column = "items."
    if plan["sector"]:
        conditions.append(f"{column}sector = ?")
        params.append(plan["sector"])
    if plan["level"]:
        conditions.append(f"instr(' ' || {column}levels || ' ', ?) > 0")
        params.append(f" {plan['level']} ")
    where = " AND ".join(conditions)
    source = f"{table}{join}"
    if select == "count":
        return f"SELECT count(*) FROM {source} WHERE {where}", params
    if select == "keys":
        return f"SELECT {rowid} FROM {source} WHERE {where}", params
    return f"SELECT {rowid} FROM {source} WHERE {where} ORDER BY {rank} LIMIT {int(limit or 10)}", params


def fts5_uses_scan(plan: dict) -> bool:
    return any(mode == "instr" for mode, _ in plan["zh"])


def _fts5_docs(database_url: str):
    """(key, kind, sector, levels, code, title, body, context) of every current document the project indexes."""
    from registry.search.documents import CONTEXT_MARK, document_from

    for record in iter_versions(database_url):
        for doc in document_from(record):
            if doc.get("current") != "y" or doc.get("kind") not in ("requirement", "knowledge", "standard"):
                continue
            body, _, context = (doc.get("body") or "").partition(CONTEXT_MARK)
            yield (doc["id"], doc["kind"], doc.get("sector", ""), doc.get("level", ""), doc.get("code", ""),
                   doc.get("title", "") or "", body, context)


def fts5_build(database_url: str, path: Path) -> dict:
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("CREATE TABLE items(id INTEGER PRIMARY KEY, key TEXT, kind TEXT, sector TEXT, levels TEXT, code TEXT, "
                "title TEXT, body TEXT, context TEXT)")
    t0 = time.perf_counter()
    with con:
        con.executemany("INSERT INTO items(key, kind, sector, levels, code, title, body, context) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _fts5_docs(database_url))
        con.execute("CREATE INDEX items_sector ON items(sector)")
    t_items = time.perf_counter() - t0
    out = {"items_s": t_items, "documents": con.execute("SELECT count(*) FROM items").fetchone()[0],
           "kinds": dict(con.execute("SELECT kind, count(*) FROM items GROUP BY kind").fetchall())}
    for table, tokenizer in (("en", "porter unicode61"), ("zh", "trigram")):
        t = time.perf_counter()
        with con:
            con.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(title, body, context, kind UNINDEXED, "
                        f"sector UNINDEXED, levels UNINDEXED, content='items', content_rowid='id', "
                        f"tokenize='{tokenizer}')")
            con.execute(f"INSERT INTO {table}(rowid, title, body, context, kind, sector, levels) "
                        f"SELECT id, title, body, context, kind, sector, levels FROM items")
            con.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
        out[f"{table}_s"] = time.perf_counter() - t
        try:
            out[f"{table}_bytes"] = con.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?",
                                                (f"{table}_%",)).fetchone()[0] or 0
        except sqlite3.Error:
            out[f"{table}_bytes"] = None
    out["items_bytes"] = con.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'items'").fetchone()[0]
    con.close()
    out["file_bytes"] = path.stat().st_size
    return out


def fts5_query(con: sqlite3.Connection, plan: dict, per_page: int) -> tuple[int, int]:
    sql, params = fts5_sql(plan, "top", per_page)
    rows = con.execute(sql, params).fetchall()
    for (rowid,) in rows:  # one stored field per hit, like a result list needs
        con.execute("SELECT body FROM items WHERE id = ?", (rowid,)).fetchone()
    sql, params = fts5_sql(plan, "count", None)
    total = con.execute(sql, params).fetchone()[0]
    return total, len(rows)


def worker_fts5(args: dict) -> dict:
    path = Path(args["db"])
    t = time.perf_counter()
    build = fts5_build(args["database_url"], path)
    build["total_s"] = time.perf_counter() - t
    queries = load_queries(Path(args["queries"]))
    con = sqlite3.connect(path)
    plans = [fts5_plan(q) for q in queries]
    results = {q["id"]: {"times": [], "total": None, "shown": None} for q in queries}
    for pass_no in range(args["warmup"] + args["passes"]):
        for q, plan in zip(queries, plans):
            t0 = time.perf_counter()
            total, shown = fts5_query(con, plan, args["per_page"])
            dt = time.perf_counter() - t0
            r = results[q["id"]]
            r["total"], r["shown"] = total, shown
            if pass_no >= args["warmup"]:
                r["times"].append(dt * 1000)
    con.close()
    return {"build": build, "results": results, "vmhwm_mb": status_kb("self", "VmHWM") / 1024}
