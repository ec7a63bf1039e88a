"""Faults that must fail the framing family (conformance_tests/test_framing.py, R1/R14/R15/R23)."""

from __future__ import annotations

OWNERS: dict[str, set[str]] = {
    "wrong-content-type": {"framing.content-type"},
    # lowercase states fail the schema and ProtoJSON; the `kind` members fail no-kind
    "legacy-enums-1.0": {
        "framing.schema-valid",
        "framing.proto-json-1.0",
        "framing.no-kind-1.0",
    },
    # the product schema's Timestamp is UTC with Z, so schema validity fails with it
    "timestamp-not-utc": {"framing.timestamp-utc", "framing.schema-valid"},
}
