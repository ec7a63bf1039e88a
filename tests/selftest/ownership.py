"""The fault → owned requirements table, merged from each scenario family's ``owners_*.py``.

Ownership lives next to each family so the people who write a scenario also state which
fault must break it; the self-test only merges the tables and checks them both ways.
"""

from __future__ import annotations

import importlib
import pkgutil

from tests import selftest


def merged_owners() -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(selftest.__path__):
        if info.name.startswith("owners_"):
            module = importlib.import_module(f"tests.selftest.{info.name}")
            for fault, requirements in module.OWNERS.items():
                owners.setdefault(fault, set()).update(requirements)
    return owners
