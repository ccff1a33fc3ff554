"""registry.serving as gunicorn's configuration: what its master does before it forks the workers."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT

MASTER = """
import json, sys, threading
before = set(sys.modules)
from registry import serving
serving.on_starting(None)
from registry.app import SERVED_MODULES
print(json.dumps({"missing": [m for m in SERVED_MODULES if m not in sys.modules],
                  "threads": threading.active_count(),
                  "heavy": sorted(m for m in ("weasyprint", "jieba") if m in sys.modules),
                  "engines": sorted(m for m in set(sys.modules) - before if m.startswith("psycopg.pool"))}))
"""


def test_the_master_imports_the_apps_modules_and_starts_nothing():
    """Workers fork with the modules loaded (they start faster and share those pages); the master itself
    makes no app, thread or connection, and loads neither the renderer nor the Chinese segmenter, which
    only a render child and a search load."""
    out = subprocess.run([sys.executable, "-c", MASTER], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found == {"missing": [], "threads": 1, "heavy": [], "engines": []}, found


def test_the_served_modules_are_those_create_app_imports(tmp_path):
    """Each module the list names is one that making an app imports (a module dropped from create_app
    must leave the list too); the render worker's when the app warms a renderer (REGISTRY_RENDER_WARM, on
    by default, off here: it would start a render child)."""
    code = f"""
import json, sys
from registry import create_app
from registry.app import SERVED_MODULES
create_app({{"DATABASE_URL": "sqlite:///{tmp_path}/r.sqlite3", "DATA_DIR": "{tmp_path}/d", "RENDER_WARM": 0,
             "SEARCH_CHECK_ON_START": 0, "WATCH_INTERVAL": 0}})
print(json.dumps([m for m in SERVED_MODULES if m not in sys.modules]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["registry.render.worker"]
