"""The search benchmark's steps (issue 4), one module per job; ``benchmarks/bench_search.py`` is the entry point
and its docstring says what one run does, in order.

    common       paths, query types, targets, log line, percentiles, memory and machine figures
    queries      the fixed query set (``--make-queries``) and reading it
    catalog      the snapshot of registry/, the corpus, ``registry db upgrade`` + ``registry load`` (steps 1-2)
    processes    child processes (``--worker NAME``) and the CPU they and others use
    build        the project's rebuild, the bare Whoosh writers, the merge (step 3)
    fts5         the SQLite FTS5 baseline (step 4)
    inproc       latency through ``SearchService.search`` and cProfile (step 5)
    server       gunicorn as ``registry serve`` runs it, and the HTTP client
    http_latency latency through the HTTP API (step 6)
    recall       hits against FTS5, explained (step 7)
    visible      publish-to-visible (step 8)
    analysis     figures drawn from the raw results, the targets
    report       the markdown section (step 9)
    run          one run, every step in order
"""
