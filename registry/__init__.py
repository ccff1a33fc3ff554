"""Occupational Standards Registry.

``create_app`` is the Flask application factory (``flask --app registry run``). It is imported
lazily so that ``registry validate`` and the other light commands never load Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["create_app"]


def create_app(test_config: Mapping[str, Any] | None = None, *, clock: Any = None):
    """Create the web application; ``test_config`` overrides the environment's settings, ``clock``
    (a ``registry.clock.Clock``) says what day it is."""
    from .app import create_app as _create_app

    return _create_app(test_config, clock=clock)
