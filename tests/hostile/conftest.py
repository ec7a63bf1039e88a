"""Hostile-target tests: slow (one whole suite run per mode), parallel-safe (own ports)."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "hostile: runs the packaged suite against a misbehaving server (slow)")
