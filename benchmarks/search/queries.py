"""The fixed query set (benchmarks/search_queries.json): how ``--make-queries`` makes it from the corpus
generator's vocabulary with a fixed seed, and how the benchmark reads it."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

from .common import QUERY_SEED, TYPES

#: English words no query is made of: a superset of the project's stop words (registry.search.analysis.STOP_WORDS),
#: so that no query tests stop-word handling, which FTS5 does not have
QUERY_STOP = frozenset(
    "a an and are as at be by can for from has have if in into is its of on or such that the their these "
    "this those to was were which will with it so how they them each when where what who all any not no "
    "more most other some than then there also may must should".split())



def en_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z0-9]*", text)


def _cjk_runs(text: str) -> list[str]:
    return re.findall(r"[\u4e00-\u9fff]+", text)


def make_queries(seed: int = QUERY_SEED) -> dict:
    """The fixed query set, from the generator's vocabulary (gen_corpus.py), with a fixed seed.

    Each query: ``id``, ``type``, ``q`` (the project's syntax), ``filters`` (sector / level) and
    ``parts`` (what FTS5 gets: English words or phrases, Chinese strings).
    """
    import gen_corpus as g
    import jieba

    jieba.setLogLevel(60)
    rng = random.Random(f"search-queries:{seed}")
    topics = g.TOPICS
    contexts, tools, norms = g.CONTEXTS, g.TOOLS, g.NORMS

    def filled(lang: int) -> list[str]:
        """Every requirement and knowledge template filled with a few slot values: the corpus's sentences."""
        out = []
        r = random.Random(f"sentences:{seed}")
        for t in topics:
            for zh, en in g.REQUIREMENT_TEMPLATES:
                tpl = (zh, en)[lang]
                c, tool, n = r.choice(contexts), r.choice(tools), r.choice(norms)
                out.append(tpl.format(t=t[lang], c=c[lang], tool=tool[lang], n=n[lang]))
            for zh, en in g.KNOWLEDGE_TEMPLATES:
                tpl = (zh, en)[lang]
                out.append(tpl.format(t=t[lang], u=r.choice(topics)[lang]))
        for zh, en in g.REQUIREMENT_SUFFIXES + g.KNOWLEDGE_SUFFIXES:
            out.append((zh, en)[lang])
        return out

    en_sentences, zh_sentences = filled(1), filled(0)
    en_names = ([t[1] for t in topics] + [f[1] for f in g.FUNCTIONS + g.MANAGEMENT_FUNCTIONS]
                + [r[1] for r in g.ROLES] + [d[1] for s in g.SECTORS for d in s[3]] + [d[2] for d in g.DIRECTIONS])
    zh_names = ([t[0] for t in topics] + [f[0] for f in g.FUNCTIONS + g.MANAGEMENT_FUNCTIONS]
                + [r[0] for r in g.ROLES] + [d[0] for s in g.SECTORS for d in s[3]] + [d[1] for d in g.DIRECTIONS])

    vocab = sorted({w.lower() for text in en_sentences + en_names for w in en_words(text)
                    if len(w) >= 3 and w.lower() not in QUERY_STOP and not w.isdigit()})
    queries: list[dict] = []

    def add(qtype: str, parts: list[dict], filters: dict | None = None) -> None:
        q = " ".join(f'"{p["text"]}"' if p["phrase"] else p["text"] for p in parts)
        key = (q, tuple(sorted((filters or {}).items())))
        if any((x["q"], tuple(sorted(x["filters"].items()))) == key for x in queries):
            return
        queries.append({"id": f"{qtype}-{sum(1 for x in queries if x['type'] == qtype) + 1:03d}", "type": qtype,
                        "q": q, "filters": dict(filters or {}), "parts": parts})

    def en(text: str, phrase: bool = False) -> dict:
        return {"lang": "en", "text": text, "phrase": phrase}

    def zh(text: str, phrase: bool = False) -> dict:
        return {"lang": "zh", "text": text, "phrase": phrase}

    # English terms: 68 words of the vocabulary, 12 inflected forms of vocabulary words
    for w in rng.sample(vocab, 68):
        add("en_term", [en(w)])
    for w in ["configured", "configuring", "analysed", "analysing", "deployed", "monitored", "tested", "trained",
              "records", "reports", "designing", "maintained"]:
        add("en_term", [en(w)])

    # Chinese terms: names (topics, functions, domains, roles) and 2-character words of the sentences
    zh_words2 = sorted({w for text in zh_sentences + zh_names for run in _cjk_runs(text)
                        for w in jieba.cut(run, HMM=False) if len(w) == 2})
    for w in rng.sample(sorted(set(zh_names)), 44):
        add("zh_term", [zh(w)])
    for w in rng.sample(zh_words2, 16):
        add("zh_term", [zh(w)])

    # English phrases: 2-4 consecutive words of a corpus sentence, no punctuation inside, no stop word at the ends
    while sum(1 for x in queries if x["type"] == "en_phrase") < 45:
        sentence = rng.choice(en_sentences)
        chunk = rng.choice(re.split(r"[,.;:()]", sentence)).split()
        size = rng.choice([2, 2, 3, 3, 4])
        if len(chunk) < size:
            continue
        i = rng.randrange(len(chunk) - size + 1)
        words = [re.sub(r"[^A-Za-z0-9'-]", "", w) for w in chunk[i:i + size]]
        if not all(words) or words[0].lower() in QUERY_STOP or words[-1].lower() in QUERY_STOP:
            continue
        add("en_phrase", [en(" ".join(w.lower() for w in words), phrase=True)])

    # Chinese phrases: 2-3 consecutive jieba words of a corpus sentence (what a person would type), quoted
    while sum(1 for x in queries if x["type"] == "zh_phrase") < 15:
        run = rng.choice([r for s in rng.sample(zh_sentences, 3) for r in _cjk_runs(s)] or ["数据"])
        words = list(jieba.cut(run, HMM=False))
        size = rng.choice([2, 3])
        if len(words) < size:
            continue
        i = rng.randrange(len(words) - size + 1)
        text = "".join(words[i:i + size])
        if len(text) >= 4:
            add("zh_phrase", [zh(text, phrase=True)])

    # two-term AND: 30 pairs from one sentence (co-occurring), 30 random pairs of the vocabulary
    while sum(1 for x in queries if x["type"] == "en_and") < 30:
        words = sorted({w.lower() for w in en_words(rng.choice(en_sentences))
                        if len(w) >= 3 and w.lower() not in QUERY_STOP})
        if len(words) >= 2:
            a, b = rng.sample(words, 2)
            add("en_and", [en(a), en(b)])
    while sum(1 for x in queries if x["type"] == "en_and") < 60:
        a, b = rng.sample(vocab, 2)
        add("en_and", [en(a), en(b)])

    # filtered: a term (English or Chinese) with a level, or with a sector
    levels = ["L5", "L4", "L3", "L2", "L1", "junior", "intermediate", "senior"]
    sectors = [s[0] for s in g.SECTORS]
    zh_terms = sorted(set(zh_names)) + zh_words2
    while sum(1 for x in queries if x["type"] == "level") < 40:
        part = en(rng.choice(vocab)) if rng.random() < 0.6 else zh(rng.choice(zh_terms))
        add("level", [part], {"level": rng.choice(levels)})
    while sum(1 for x in queries if x["type"] == "sector") < 40:
        part = en(rng.choice(vocab)) if rng.random() < 0.6 else zh(rng.choice(zh_terms))
        add("sector", [part], {"sector": rng.choice(sectors)})

    # mixed Chinese + English: 20 from one topic (both languages of one bilingual item), 20 random
    while sum(1 for x in queries if x["type"] == "mixed") < 20:
        t_zh, t_en = rng.choice(topics)
        words = [w.lower() for w in en_words(t_en) if len(w) >= 3 and w.lower() not in QUERY_STOP]
        if words:
            add("mixed", [zh(t_zh), en(rng.choice(words))])
    while sum(1 for x in queries if x["type"] == "mixed") < 40:
        add("mixed", [zh(rng.choice(zh_terms)), en(rng.choice(vocab))])

    # misspelt English words (no hits expected; exercises "did you mean")
    while sum(1 for x in queries if x["type"] == "misspelt") < 10:
        w = rng.choice([v for v in vocab if len(v) >= 6])
        i = rng.randrange(1, len(w) - 1)
        wrong = w[:i] + w[i + 1] + w[i] + w[i + 2:] if rng.random() < 0.5 else w[:i] + "q" + w[i + 1:]
        if wrong not in vocab:
            add("misspelt", [en(wrong)])

    queries.sort(key=lambda x: (TYPES.index(x["type"]), x["id"]))
    return {"description": "Fixed query set of benchmarks/bench_search.py, generated by `bench_search.py "
                           "--make-queries` from gen_corpus.py's vocabulary (seed below). q is the project's "
                           "query syntax; parts is what the FTS5 baseline gets.",
            "seed": seed, "counts": dict(Counter(x["type"] for x in queries)), "queries": queries}


def load_queries(path: Path) -> list[dict]:
    return json.loads(path.read_text("utf-8"))["queries"]
