"""Validation against the product's own JSON schemas (``schemas/a2a-v0.3.json``, ``a2a-v1.0.json``).

The schemas are the strict half of the judge (normalization is the lenient half): a scenario
asks ``event.schema_errors`` and gets readable messages with a location, e.g.
``result.statusUpdate.status.state: 'working' is not one of ['TASK_STATE_UNSPECIFIED', ...]``.
Validators are compiled once per process.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMA_FILES = {"0.3": "a2a-v0.3.json", "1.0": "a2a-v1.0.json"}
MAX_ERRORS = 10

# dialect id -> (schema version, entry definition) of one streamed SSE data payload
STREAM_EVENT_DEFS = {
    "v0.3-jsonrpc": ("0.3", "JsonRpcStreamEvent"),
    "v1.0-jsonrpc": ("1.0", "JsonRpcStreamEvent"),
    "v1.0-rest": ("1.0", "RestStreamEvent"),
}


@cache
def load_schema(version: str) -> dict[str, Any]:
    """The whole schema document of a protocol version ("0.3" or "1.0")."""
    text = resources.files("pytest_a2a").joinpath("schemas", SCHEMA_FILES[version]).read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def validator(version: str, definition: str) -> Draft202012Validator:
    doc = load_schema(version)
    if definition not in doc["$defs"]:
        raise KeyError(f"schema {version} has no definition {definition!r}")
    root = {"$ref": f"#/$defs/{definition}", "$defs": doc["$defs"]}
    Draft202012Validator.check_schema(root)
    return Draft202012Validator(root)


def _where(err: ValidationError) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in err.absolute_path]
    return ".".join(parts).replace(".[", "[") or "(root)"


def _leaves(err: ValidationError) -> list[ValidationError]:
    """The most specific errors: under oneOf/anyOf, the branch that got furthest."""
    if not err.context:
        return [err]
    deepest = max(len(e.absolute_path) for e in err.context)
    if deepest <= len(err.absolute_path):
        return [err]  # e.g. "exactly one of text/raw/url/data": the parent message is clearer
    out: list[ValidationError] = []
    for sub in err.context:
        if len(sub.absolute_path) == deepest:
            out.extend(_leaves(sub))
    return out


def _message(err: ValidationError) -> str:
    msg = err.message
    value = err.validator_value
    if err.validator == "not" and value == {"required": ["kind"]}:
        msg = "has a 'kind' member (1.0 JSON has no kind discriminator, R23)"
    elif err.validator == "oneOf" and isinstance(value, list) and all(
        isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1 for b in value
    ):
        keys = [b["required"][0] for b in value]
        found = [k for k in keys if isinstance(err.instance, dict) and k in err.instance]
        msg = f"expected exactly one of {keys}, found {found or 'none'}"
    if len(msg) > 300:
        msg = msg[:280] + "…"
    return f"{_where(err)}: {msg}"


def validate(version: str, definition: str, instance: Any) -> list[str]:
    """Readable validation errors of ``instance`` against ``definition`` (empty = valid)."""
    errors: list[str] = []
    for err in sorted(validator(version, definition).iter_errors(instance), key=_sort_key):
        for leaf in _leaves(err):
            text = _message(leaf)
            if text not in errors:
                errors.append(text)
        if len(errors) >= MAX_ERRORS:
            errors.append("… (more errors omitted)")
            break
    return errors


def _sort_key(err: ValidationError) -> tuple[str, str]:
    return (_where(err), err.message)


def validate_stream_event(dialect: str, payload: Any) -> list[str]:
    """Validate one SSE data payload (decoded JSON) of a stream in ``dialect``."""
    version, definition = STREAM_EVENT_DEFS[dialect]
    return validate(version, definition, payload)


def validate_result(dialect: str, op: str, result: Any) -> list[str]:
    """Validate the success result of a unary call (send / get / cancel / list)."""
    version = "0.3" if dialect.startswith("v0.3") else "1.0"
    definition = {"send": "SendMessageResult", "get": "Task", "cancel": "Task",
                  "list": "ListTasksResult"}.get(op)
    if definition is None:
        return []
    return validate(version, definition, result)
