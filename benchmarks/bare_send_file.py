"""The yardstick of bench_exports.py: a bare Flask app whose one route only send_file's a file.

    BARE_FILE=/path/to/file.pdf gunicorn --workers 2 --chdir benchmarks bare_send_file:app

    BARE_DIR=/path/to/folder gunicorn ... bare_send_file:app     (then /files/<path> is any file in it)

Served under the same gunicorn settings as the registry, in the same run, it gives the throughput
that a cached download through the registry is compared with.
"""

from __future__ import annotations

import os

from flask import Flask, send_file, send_from_directory

app = Flask(__name__)
PATH = os.environ.get("BARE_FILE", "")
FOLDER = os.environ.get("BARE_DIR", "")


@app.get("/file.pdf")
def file():
    return send_file(PATH, mimetype="application/pdf")


@app.get("/files/<path:name>")
def files(name: str):
    return send_from_directory(FOLDER, name, mimetype="application/pdf")
