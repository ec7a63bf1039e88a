"""Validation against the product's own JSON schemas (``schemas/a2a-v0.3.json``, ``a2a-v1.0.json``).

The schemas are the strict half of the judge (normalization is the lenient half): a scenario
asks ``event.schema_errors`` and gets readable messages with a location, e.g.
``result.statusUpdate.status.state: 'working' is not one of ['TASK_STATE_UNSPECIFIED', ...]``.

Every event of a burst is validated, so this is the judge's hot path: ``jsonschema-rs``
(compiled once per process, ``$ref`` resolved at compile time) checks a valid event in about a
microsecond, where Python ``jsonschema`` re-walked the schema in about 300 (issue 11). Only an
invalid event pays for error collection and the readable messages below.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from itertools import islice
from typing import Any

from jsonschema_rs import Draft202012Validator, ValidationError, ValidationErrorKind

SCHEMA_FILES = {"0.3": "a2a-v0.3.json", "1.0": "a2a-v1.0.json"}
MAX_ERRORS = 10

# dialect id -> (schema version, entry definition) of one streamed SSE data payload
STREAM_EVENT_DEFS = {
    "v0.3-jsonrpc": ("0.3", "JsonRpcStreamEvent"),
    "v1.0-jsonrpc": ("1.0", "JsonRpcStreamEvent"),
    "v1.0-rest": ("1.0", "RestStreamEvent"),
}

MAX_COLLECTED = 1000  # errors read from one payload before sorting (a hostile event has more)

#: The one schema rule that is a SHOULD, not a MUST: a 1.0 object with a 0.3 ``kind`` member
#: (R23 only says it should not be emitted). ``framing.no-kind-1.0`` judges it, so schema
#: validity drops these errors with :func:`is_kind_rule` (one cause, one finding).
KIND_RULE = "has a 'kind' member (1.0 JSON has no kind discriminator, R23)"
_KIND_TAIL = f": {KIND_RULE}"


def is_kind_rule(error: str) -> bool:
    """The error is the 1.0 ``kind`` rule (:data:`KIND_RULE`), at any location."""
    return error.endswith(_KIND_TAIL)


@cache
def load_schema(version: str) -> dict[str, Any]:
    """The whole schema document of a protocol version ("0.3" or "1.0")."""
    text = resources.files("pytest_a2a").joinpath("schemas", SCHEMA_FILES[version]).read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


@cache
def _root(version: str, definition: str) -> dict[str, Any]:
    doc = load_schema(version)
    if definition not in doc["$defs"]:
        raise KeyError(f"schema {version} has no definition {definition!r}")
    return {"$ref": f"#/$defs/{definition}", "$defs": doc["$defs"]}


@cache
def validator(version: str, definition: str) -> Draft202012Validator:
    """The compiled validator of one definition (formats are annotations, as in 2020-12)."""
    return Draft202012Validator(_root(version, definition), validate_formats=False)


def _where(path: list[str | int]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in path]
    return ".".join(parts).replace(".[", "[") or "(root)"


def _leaves(err: ValidationError) -> list[ValidationError]:
    """The most specific errors: under oneOf/anyOf, the branch that got furthest."""
    context: list[list[ValidationError]] = getattr(err.kind, "context", None) or []
    subs = [sub for branch in context for sub in branch]
    if not subs:
        return [err]
    deepest = max(len(e.instance_path) for e in subs)
    if deepest <= len(err.instance_path):
        return [err]  # e.g. "exactly one of text/raw/url/data": the parent message is clearer
    out: list[ValidationError] = []
    for sub in subs:
        if len(sub.instance_path) == deepest:
            out.extend(_leaves(sub))
    return out


def _schema_at(root: dict[str, Any], path: list[str | int]) -> Any:
    node: Any = root
    for key in path:
        node = node[key]
    return node


_ONE_OF = (ValidationErrorKind.OneOfNotValid, ValidationErrorKind.OneOfMultipleValid)


def _text(err: ValidationError, root: dict[str, Any]) -> str:
    """One error as ``where: what``, values quoted as Python writes them."""
    kind, value = err.kind, err.instance
    msg = err.message
    if isinstance(kind, ValidationErrorKind.Required):
        msg = f"{kind.property!r} is a required property"
    elif isinstance(kind, ValidationErrorKind.Enum):
        msg = f"{value!r} is not one of {kind.options!r}"
    elif isinstance(kind, ValidationErrorKind.Type):
        types = _schema_at(root, err.schema_path)  # the schema's order, not the validator's
        types = types if isinstance(types, list) else [types]
        msg = f"{value!r} is not of type {', '.join(repr(t) for t in types)}"
    elif isinstance(kind, ValidationErrorKind.Constant):
        msg = f"{kind.expected_value!r} was expected"
    elif isinstance(kind, ValidationErrorKind.Pattern):
        msg = f"{value!r} does not match {kind.pattern!r}"
    elif isinstance(kind, ValidationErrorKind.MinItems) and kind.limit == 1:
        msg = f"{value!r} should be non-empty"
    elif isinstance(kind, ValidationErrorKind.Not) and kind.schema == {"required": ["kind"]}:
        msg = KIND_RULE
    elif isinstance(kind, _ONE_OF):
        branches = _schema_at(root, err.schema_path)
        if isinstance(branches, list) and all(
            isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1
            for b in branches
        ):
            keys = [b["required"][0] for b in branches]
            found = [k for k in keys if isinstance(value, dict) and k in value]
            msg = f"expected exactly one of {keys}, found {found or 'none'}"
    if len(msg) > 300:
        msg = msg[:280] + "…"
    return f"{_where(err.instance_path)}: {msg}"


def validate(version: str, definition: str, instance: Any) -> list[str]:
    """Readable validation errors of ``instance`` against ``definition`` (empty = valid).

    ``instance`` is decoded JSON; anything JSON cannot hold (a non-string key, an object) is
    reported as one error rather than raised."""
    check = validator(version, definition)
    try:
        if check.is_valid(instance):
            return []
        found = list(islice(check.iter_errors(instance), MAX_COLLECTED))
    except ValueError as exc:  # jsonschema-rs refuses values JSON has no spelling for
        return [f"(root): not a JSON value ({exc})"]
    root = _root(version, definition)
    errors: list[str] = []
    # the kind rule's errors last: when only they are cut, the marker says so (is_kind_rule)
    texts = sorted({_text(leaf, root) for err in found for leaf in _leaves(err)},
                   key=lambda t: (is_kind_rule(t), t))
    for i, text in enumerate(texts):
        if len(errors) >= MAX_ERRORS:
            rest = texts[i:]
            errors.append(f"… ({len(rest)} more){_KIND_TAIL}" if all(map(is_kind_rule, rest))
                          else "… (more errors omitted)")
            break
        errors.append(text)
    return errors or ["(root): invalid, but the validator gave no reason"]  # fail closed


def validate_stream_event(dialect: str, payload: Any) -> list[str]:
    """Validate one SSE data payload (decoded JSON) of a stream in ``dialect``."""
    version, definition = STREAM_EVENT_DEFS[dialect]
    return validate(version, definition, payload)


def stream_validator(dialect: str) -> Draft202012Validator:
    """The compiled validator of one streamed payload in ``dialect``: a stream asks its
    ``is_valid`` for every event, and :func:`stream_event_errors` only when that says no."""
    return validator(*STREAM_EVENT_DEFS[dialect])


def stream_event_errors(dialect: str, payload: Any) -> tuple[str, ...]:
    """:func:`validate_stream_event` as a tuple (a valid event shares the empty tuple)."""
    return tuple(validate_stream_event(dialect, payload))


def validate_result(dialect: str, op: str, result: Any) -> list[str]:
    """Validate the success result of a unary call (send / get / cancel / list)."""
    version = "0.3" if dialect.startswith("v0.3") else "1.0"
    definition = {"send": "SendMessageResult", "get": "Task", "cancel": "Task",
                  "list": "ListTasksResult"}.get(op)
    if definition is None:
        return []
    return validate(version, definition, result)
