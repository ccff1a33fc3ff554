"""Recall against FTS5 (step 7), explained: for queries where the project finds fewer items, examples of the
items it misses (found through the API with a code filter) and the project's terms for them; for queries
where it finds more, an item only the project returns."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

from .common import TYPE_LABELS, TYPES
from .fts5 import fts5_plan, fts5_sql
from .queries import en_words
from .server import HttpClient


def project_keys_for_code(client: HttpClient, query: dict, code: str) -> set[str]:
    keys: set[str] = set()
    page = 1
    while page <= 10:
        params = {"q": query["q"], "per_page": 100, "page": page, "code": code, **query["filters"]}
        status, body = client.get("/api/v1/search?" + urllib.parse.urlencode(params))
        if status != 200:
            break
        data = json.loads(body)
        for h in data["hits"]:
            keys.add(f"{h['code']}@{h['version']}" + (f"/{h['item_id']}" if h.get("item_id") else ""))
        if page * 100 >= data["total"]:
            break
        page += 1
    return keys


def explain_miss(query: dict, item: dict) -> dict:
    """Why the project may not match an item FTS5 matched: its terms for the query vs for the item."""
    from registry.search.analysis import STEMMER, analyze

    item_terms: set[str] = set()
    for text in (item["title"], item["body"], item["context"]):
        item_terms.update(t for t, _, _, _ in analyze(text or "", STEMMER))
    notes = []
    for part in query["parts"]:
        q_terms = [t for t, _, _, _ in analyze(part["text"], STEMMER, subwords=False)]
        missing = [t for t in q_terms if t not in item_terms]
        if part["lang"] == "zh":
            text = next((t for t in (item["body"], item["title"], item["context"]) if t and part["text"] in t), "")
            i = text.find(part["text"])
            j = i + len(part["text"])
            seg = [t for t, _, s, e in analyze(text, STEMMER, subwords=False) if e > i and s < j] if i >= 0 else []
            sub = sorted({t for t, _, s, e in analyze(text, STEMMER) if e > i and s < j} - set(seg)) if i >= 0 else []
            notes.append(f"{part['text']!r}: query terms {q_terms}; the item's words there {seg}"
                         + (f" (+ sub-words {sub})" if sub else "") + (f"; missing {missing}" if missing else ""))
        else:
            if missing:
                similar = []
                for w in missing:
                    stem4 = w[:4]
                    words = en_words(" ".join(item[k] or "" for k in ("title", "body", "context")))
                    for word in sorted({x.lower() for x in words}):
                        if word.startswith(stem4):
                            similar.append(f"{word}→{analyze(word, STEMMER)[0][0] if analyze(word, STEMMER) else ''}")
                notes.append(f"{part['text']!r}: query terms {q_terms}, not among the item's terms: {missing}"
                             + (f"; the item has {', '.join(similar[:6])}" if similar else ""))
            else:
                notes.append(f"{part['text']!r}: every query term {q_terms} is among the item's terms"
                             + (" (a phrase: positions differ)" if part["phrase"] else ""))
    return {"key": item["key"], "text": _excerpt(query, item), "why": "; ".join(notes)}


def _excerpt(query: dict, item: dict, width: int = 24) -> str:
    """The part of the item where the query's first part matches (FTS5's match), for the report."""
    part = query["parts"][0]
    needle = part["text"] if part["lang"] == "zh" else part["text"].split()[0][:4].lower()
    for name in ("title", "body", "context"):
        text = (item[name] or "").replace("\n", " ")
        i = text.lower().find(needle)
        if i >= 0:
            a, b = max(0, i - width), min(len(text), i + len(needle) + width)
            return f"{name}: {'…' if a else ''}{text[a:b]}{'…' if b < len(text) else ''}"
    return (item["body"] or item["title"] or "")[:2 * width]


def diagnose_misses(port: int, fts_db: Path, queries: list[dict], misses: list[str], limit: int = 60) -> dict:
    """For queries where the project finds fewer items than FTS5: the standards where it does (per-code
    counts: the API's occupation facet against FTS5's matches grouped by code), and examples of items
    FTS5 matches that the API, asked with a code filter, does not return."""
    by_id = {q["id"]: q for q in queries}
    con = sqlite3.connect(fts_db)
    con.row_factory = sqlite3.Row
    client = HttpClient(port)
    out = {}
    for qid in misses[:limit]:
        query = by_id[qid]
        sql, params = fts5_sql(fts5_plan(query), "keys", None)
        rowids = [r[0] for r in con.execute(sql, params)]
        per_code: dict[str, list[int]] = defaultdict(list)
        for chunk in range(0, len(rowids), 500):
            part = rowids[chunk:chunk + 500]
            for row in con.execute(f"SELECT id, code FROM items WHERE id IN ({','.join('?' * len(part))})", part):
                per_code[row["code"]].append(row["id"])
        status, body = client.get("/api/v1/search?" + urllib.parse.urlencode(
            {"q": query["q"], "per_page": 1, **query["filters"]}))
        facet = {f["value"]: f["count"] for f in json.loads(body)["facets"].get("occupation", [])} \
            if status == 200 else {}
        short = sorted(((code, len(ids) - facet.get(code, 0)) for code, ids in per_code.items()
                        if facet.get(code, 0) < len(ids)), key=lambda kv: (-kv[1], kv[0]))
        examples = []
        for code, _ in short[:5]:
            found = project_keys_for_code(client, query, code)
            ids = per_code[code]
            rows = con.execute(f"SELECT * FROM items WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
            for item in [dict(r) for r in rows if r["key"] not in found][: max(0, 2 - len(examples))]:
                examples.append(explain_miss(query, item))
            if len(examples) >= 2:
                break
        out[qid] = {"codes_short": len(short), "items_short": sum(n for _, n in short), "examples": examples}
    con.close()
    client.close()
    return out


def explain_extra(query: dict, item: dict, width: int = 16) -> dict:
    """An item the project returns and FTS5 does not: where the query's terms (and their sub-words) are in it."""
    from registry.search.analysis import STEMMER, analyze

    wanted = {t for part in query["parts"] for t, _, _, _ in analyze(part["text"], STEMMER)}
    found = []
    first = None
    for name in ("title", "body", "context"):
        text = item.get(name) or ""
        spans = [(s, e, t) for t, _, s, e in analyze(text, STEMMER) if t in wanted]
        if spans and first is None:
            a, b = max(0, spans[0][0] - width), min(len(text), spans[-1][1] + width)
            if b - a > 6 * width:
                b = min(len(text), spans[0][1] + width)
            first = f"{name}: {'…' if a else ''}{text[a:b]}{'…' if b < len(text) else ''}".replace("\n", " ")
        found += [f"{t}@{name}:{s}" for s, _, t in spans]
    return {"key": item["key"], "text": first or (item.get("body") or "")[:2 * width].replace("\n", " "),
            "why": f"query terms and sub-words {sorted(wanted)}; in the item (term@field:offset): "
                   f"{', '.join(found[:8]) or 'none (matched on another field)'}"}


def diagnose_extras(port: int, fts_db: Path, queries: list[dict], qids: list[str]) -> dict:
    """For queries where the project finds more than FTS5: an example of an item only the project returns."""
    by_id = {q["id"]: q for q in queries}
    con = sqlite3.connect(fts_db)
    con.row_factory = sqlite3.Row
    client = HttpClient(port)
    out = {}
    for qid in qids:
        query = by_id[qid]
        sql, params = fts5_sql(fts5_plan(query), "keys", None)
        rowids = {r[0] for r in con.execute(sql, params)}
        status, body = client.get("/api/v1/search?" + urllib.parse.urlencode(
            {"q": query["q"], "per_page": 1, **query["filters"]}))
        if status != 200:
            continue
        facet = {f["value"]: f["count"] for f in json.loads(body)["facets"].get("occupation", [])}
        fts_per_code = Counter()
        keys_by_code: dict[str, set[str]] = defaultdict(set)
        for row in con.execute("SELECT id, key, code FROM items"):
            if row["id"] in rowids:
                fts_per_code[row["code"]] += 1
                keys_by_code[row["code"]].add(row["key"])
        surplus = sorted(((c, n - fts_per_code[c]) for c, n in facet.items() if n > fts_per_code[c]),
                         key=lambda kv: (-kv[1], kv[0]))
        examples = []
        for code, _ in surplus[:3]:
            extra = project_keys_for_code(client, query, code) - keys_by_code[code]
            if extra:
                key = sorted(extra)[0]
                row = con.execute("SELECT * FROM items WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    examples.append(explain_extra(query, dict(row)))
                    break
        out[qid] = {"codes_over": len(surplus), "examples": examples}
    con.close()
    client.close()
    return out


def recall_section(res: dict, queries: list[dict]) -> list[str]:
    """Hits compared with FTS5 per type, then the queries with fewer and with more hits, explained."""
    lines: list[str] = []
    w = lines.append
    a = res["analysis"]
    by_id = {q["id"]: q for q in queries}
    w("### Hits compared with FTS5")
    w("")
    w("FTS5 gets the same documents (`registry.search.documents.document_from`: every current requirement and knowledge "
      "item, basic knowledge included, and each standard's title, keywords, definition and function names; an "
      "item's function and work "
      "content names in a third column, as the project indexes them at a lower weight). English: one "
      "`porter unicode61` table, words ANDed, phrases quoted. Chinese: a `trigram` table, each Chinese word or "
      "phrase as a substring (`MATCH` for 3+ characters, `instr()` over the columns for 2); substring matching is "
      "the strictest reference for Chinese recall (every item that contains the characters), whatever a "
      "segmenter does. Totals are over all matches, not the first page.")
    w("")
    w("| type | queries | project hits | FTS5 hits | project / FTS5 | queries: fewer / equal / more "
      "| zero hits: project / FTS5 | errors |")
    w("|---|---|---|---|---|---|---|---|")
    for qt in TYPES + ["all"]:
        r = a["recall"][qt]
        label = "**all**" if qt == "all" else TYPE_LABELS[qt]
        ratio_cell = f"{r['project'] / r['fts5']:.3f}" if r["fts5"] else "–"
        w(f"| {label} | {r['queries']} | {r['project']:,} | {r['fts5']:,} | {ratio_cell} | "
          f"{r['fewer']} / {r['equal']} / {r['more']} | {r['zero_project']} / {r['zero_fts5']} | {r['errors']} |")
    w("")
    inproc = res["inproc"]["results"]
    fts = res["fts5"]["results"]
    if a["fewer"]:
        w(f"Queries where the project finds fewer items than FTS5 ({len(a['fewer'])}; a recall bug to fix or to "
          "explain). Examples are items FTS5 matches and the API (with a code filter) does not, with the project's "
          "terms:")
        w("")
        w("| query | type | project | FTS5 | missing items, why |")
        w("|---|---|---|---|---|")
        diag = res.get("diagnosis", {})
        for qid in a["fewer"]:
            q = by_id[qid]
            d = diag.get(qid, {})
            why = " <br> ".join(f"`{e['key']}` ({e['text']}): {e['why']}" for e in d.get("examples", [])) or "–"
            if d:
                why = f"{d['items_short']} item(s) in {d['codes_short']} standard(s). " + why
            filt = "".join(f" [{k}={v}]" for k, v in q["filters"].items())
            w(f"| `{q['q']}`{filt} | {q['type']} | {inproc[qid]['total'] or 0:,} | {fts[qid]['total']:,} | "
              f"{why.replace('|', '/')} |")
        w("")
    else:
        w("No query finds fewer items in the project than in FTS5.")
        w("")
    if a["more"]:
        w(f"The project finds more items than FTS5 for {len(a['more'])} queries. Some of that is expected (Snowball "
          "stems where Porter's differ, stop words skipped inside phrases, traditional/full-width folding); the rest "
          "is worth a look for precision. The largest differences, with an item only the project returns:")
        w("")
        w("| query | type | project | FTS5 | an item only the project returns |")
        w("|---|---|---|---|---|")
        extras = res.get("extras", {})
        top = sorted(a["more"], key=lambda q: -((inproc[q]["total"] or 0) - fts[q]["total"]))[:8]
        for qid in top:
            q = by_id[qid]
            ex = extras.get(qid, {}).get("examples", [])
            cell = " <br> ".join(f"`{e['key']}` ({e['text']}): {e['why']}" for e in ex) or "–"
            filt = "".join(f" [{k}={v}]" for k, v in q["filters"].items())
            w(f"| `{q['q']}`{filt} | {q['type']} | {inproc[qid]['total']:,} | {fts[qid]['total']:,} | "
              f"{cell.replace('|', '/')} |")
        w("")
    return lines
