"""The traffic of bench_load.py: a bounded Locust user mix, loopback only.

    LOAD_PLAN=plan.json locust -f benchmarks/locustfile.py --headless -H http://127.0.0.1:PORT -u 8 -r 8 -t 60s

The plan (written by bench_load.py) lists the paths of each kind. Weights: 60% search (the search
page), 25% standard pages, 10% PDF downloads (already rendered, i.e. cached), 5% API reads. When the
plan names a ``bare`` server, each PDF download through the registry goes with the same file from a
bare Flask route that only ``send_file``'s it (``bare_send_file.py``), in random order, so that both
are measured in the same run under the same load. The worst-case renders are asked for by
bench_load.py itself, not here.

Every request goes to 127.0.0.1: the script refuses any other host.
"""

from __future__ import annotations

import json
import os
import random
import urllib.parse

from locust import FastHttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _loopback(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"locustfile: {url} is not on the loopback interface; refusing to send traffic there")
    return url


@events.test_start.add_listener
def _check_hosts(environment, **_kw):
    _loopback(environment.host or "")
    if PLAN.get("bare"):
        _loopback(PLAN["bare"])


class Reader(FastHttpUser):
    """One person reading the registry: mostly searching, then standards, a few PDFs and API reads."""

    wait_time = between(PLAN.get("wait_min", 0.5), PLAN.get("wait_max", 1.5))

    def _get(self, path: str, name: str, base: str = "") -> None:
        with self.client.get(base + path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")
            elif not response.content:
                response.failure(f"empty answer for {path}")

    @task(60)
    def search(self):
        self._get(random.choice(PLAN["search"]), "search")

    @task(25)
    def page(self):
        self._get(random.choice(PLAN["pages"]), "page")

    @task(10)
    def pdf(self):
        i = random.randrange(len(PLAN["pdf"]))
        if not PLAN.get("bare"):
            self._get(PLAN["pdf"][i], "pdf")
            return
        pair = [lambda: self._get(PLAN["pdf"][i], "pdf"),
                lambda: self._get(PLAN["bare_pdf"][i], "pdf bare send_file", base=PLAN["bare"])]
        random.shuffle(pair)  # neither server always goes first
        for get in pair:
            get()

    @task(5)
    def api(self):
        self._get(random.choice(PLAN["api"]), "api")
