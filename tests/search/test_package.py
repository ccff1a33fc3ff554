"""The package as a whole: the engine's libraries imported in one place each, nothing built at import."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def _importers(*modules: str) -> list[str]:
    root = Path(__file__).resolve().parents[2] / "registry"
    pattern = re.compile(rf"^\s*(?:import|from) (?:{'|'.join(modules)})\b", re.M)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if pattern.search(p.read_text()))


def test_the_engine_package_is_the_only_importer_of_whoosh():
    assert _importers("whoosh") and all(p.startswith("search/whoosh/") for p in _importers("whoosh"))
    # the analyzers' libraries: text analysis only
    assert _importers("jieba", "opencc", "Stemmer") == ["search/analysis.py", "search/folding.py"]
    # the tries of the analyzers and of the postings mirrors
    assert _importers("marisa_trie") == ["search/analysis.py", "search/postings.py"]


def _python(code: str, **env) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_module_builds_nothing():
    out = _python("import registry.search.whoosh.schema as s, registry.search.analysis as a, "
                  "registry.search.folding as f, registry.api.search, registry.search.service\n"
                  "print(s.schema.cache_info().currsize, a._JIEBA, len(f._OPENCC))")
    assert out.split() == ["0", "None", "0"]


def test_importing_the_package_loads_no_engine():
    out = _python("import sys, registry.search, registry.search.request, registry.search.service\n"
                  "print(sorted(m for m in sys.modules if m.split('.')[0] in ('whoosh', 'jieba', 'opencc')))")
    assert out.strip() == "[]"


def test_every_module_of_the_package_is_described_in_the_architecture():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    search = page[page.index("## Search"):]
    package = ROOT / "registry" / "search"
    modules = [p for p in package.rglob("*.py") if p.name != "__init__.py"]
    assert modules and [p.name for p in modules if f"| `{p.name}` |" not in search] == []
