"""Faults that must fail the artifacts family (conformance_tests/test_artifacts.py, R13)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "append-unannounced": {"artifacts.append-announced"},
    "chunk-after-last": {"artifacts.nothing-after-last-chunk"},
    "artifact-mismatch": {"artifacts.reassembly-matches-get"},
}
