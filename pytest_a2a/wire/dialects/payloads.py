"""Lenient decoding of A2A objects (Task, Message, updates) into the normalized model.

Both versions' spellings are accepted (``TASK_STATE_WORKING`` / ``working``, ``kind`` or wrapper
members); strictness is the schemas' job. Nothing here raises on a hostile payload except
:func:`as_object`, whose ``ValueError`` the dialect turns into an ``invalid`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from sys import intern
from typing import Any

from pytest_a2a.wire.models import (
    Artifact,
    ArtifactUpdate,
    DecodedPayload,
    EventKind,
    Message,
    Part,
    StatusUpdate,
    StreamEvent,
    Task,
    TaskStatus,
)

WRAPPERS = ("task", "message", "statusUpdate", "artifactUpdate")


_KNOWN_STATES = ("submitted", "working", "input-required", "completed", "canceled", "failed",
                 "rejected", "auth-required", "unknown", "unspecified")
# both spellings of each known state -> one shared string (not one copy per kept event)
_STATES = {**{s: s for s in _KNOWN_STATES},
           **{"TASK_STATE_" + s.upper().replace("-", "_"): s for s in _KNOWN_STATES}}
# members of a part that make it more than a text part (see decode_part)
_NOT_TEXT = frozenset(("data", "url", "raw", "file", "filename", "mediaType"))


def norm_state(value: Any) -> str | None:
    """``TASK_STATE_INPUT_REQUIRED`` / ``input-required`` -> ``input-required``; else verbatim."""
    if not isinstance(value, str):
        return None
    known = _STATES.get(value)
    if known is not None:
        return known
    if value.startswith("TASK_STATE_"):
        return value[11:].lower().replace("_", "-")
    return value


def norm_role(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if value.startswith("ROLE_"):
        return value[5:].lower()
    return value


def as_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} is {type(value).__name__}, expected an object")
    return value


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_id(value: Any) -> str | None:
    """A string that repeats on every event of a stream (a task or context id): one copy of it
    is kept (``sys.intern``), not one per retained event of a 20,000-event burst."""
    return intern(value) if type(value) is str else None  # intern takes exactly str


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def decode_part(d: Any) -> Part:
    if not isinstance(d, dict):
        return Part(kind="unknown")
    if len(d) == 1 and "text" in d:  # the common ``{"text": ...}``: nothing else to look up
        text = d["text"]
        return Part("text", text if isinstance(text, str) else None)
    raw_file = d.get("file")
    file: dict[str, Any] = raw_file if isinstance(raw_file, dict) else {}
    if "text" in d:
        kind = "text"
    elif "data" in d:
        kind = "data"
    elif "url" in d or "raw" in d or file:
        kind = "file"
    else:
        kind = as_str(d.get("kind")) or "unknown"
    return Part(
        kind=kind,
        text=as_str(d.get("text")),
        data=d.get("data"),
        url=as_str(d.get("url")) or as_str(file.get("uri")),
        raw=as_str(d.get("raw")) or as_str(file.get("bytes")),
        filename=as_str(d.get("filename")) or as_str(file.get("name")),
        media_type=as_str(d.get("mediaType")) or as_str(file.get("mimeType")),
    )


def decode_message(d: Any) -> Message:
    d = as_object(d, "message")
    get = d.get
    return Message(
        message_id=as_str(get("messageId")),
        role=norm_role(get("role")),
        parts=[decode_part(p) for p in as_list(get("parts"))],
        task_id=as_id(get("taskId")),
        context_id=as_id(get("contextId")),
    )


def decode_status(d: Any) -> TaskStatus:
    d = as_object(d, "status")
    msg = d.get("message")
    return TaskStatus(
        state=norm_state(d.get("state")),
        message=decode_message(msg) if isinstance(msg, dict) else None,
        timestamp=as_str(d.get("timestamp")),
    )


def decode_artifact(d: Any) -> Artifact:
    # The decoders of the events a burst repeats (this one, the two updates) check types inline:
    # a helper call per member would be a third of their cost (issue 11).
    if not isinstance(d, dict):
        as_object(d, "artifact")  # raises
    get = d.get
    aid, name, description, parts = get("artifactId"), get("name"), get("description"), \
        get("parts")
    return Artifact(
        intern(aid) if type(aid) is str else None,
        name if isinstance(name, str) else None,
        description if isinstance(description, str) else None,
        list(map(decode_part, parts)) if isinstance(parts, list) else [],
    )


def decode_task(d: Any) -> Task:
    d = as_object(d, "task")
    return Task(
        id=as_id(d.get("id")),
        context_id=as_id(d.get("contextId")),
        status=decode_status(d.get("status") if isinstance(d.get("status"), dict) else {}),
        artifacts=[decode_artifact(a) for a in as_list(d.get("artifacts")) if isinstance(a, dict)],
        history=[decode_message(m) for m in as_list(d.get("history")) if isinstance(m, dict)],
    )


def decode_status_update(d: Any) -> StatusUpdate:
    if not isinstance(d, dict):
        as_object(d, "statusUpdate")  # raises
    get = d.get
    task_id, context_id, status, final = get("taskId"), get("contextId"), get("status"), \
        get("final")
    return StatusUpdate(
        intern(task_id) if type(task_id) is str else None,
        intern(context_id) if type(context_id) is str else None,
        decode_status(status if isinstance(status, dict) else {}),
        final if isinstance(final, bool) else None,
    )


def decode_artifact_update(d: Any) -> ArtifactUpdate:
    if not isinstance(d, dict):
        as_object(d, "artifactUpdate")  # raises
    get = d.get
    task_id, context_id, art, append, last = get("taskId"), get("contextId"), get("artifact"), \
        get("append"), get("lastChunk")
    return ArtifactUpdate(
        intern(task_id) if type(task_id) is str else None,
        intern(context_id) if type(context_id) is str else None,
        decode_artifact(art) if isinstance(art, dict) else Artifact(),
        append if isinstance(append, bool) else None,
        last if isinstance(last, bool) else None,
    )


def status_atoms(d: Any) -> tuple[Any, ...] | None:
    """A status update as the atoms a :class:`StreamEvent` keeps (``STATUS_ATOMS``), or None
    when it needs its model (a status message). Same values as :func:`decode_status_update`;
    the types are checked inline, as in the decoders a burst repeats."""
    if not isinstance(d, dict):
        return None
    get = d.get
    task_id, context_id, status, final = get("taskId"), get("contextId"), get("status"), \
        get("final")
    if not isinstance(status, dict):
        state = timestamp = None
    elif isinstance(status.get("message"), dict):
        return None
    else:
        state, timestamp = norm_state(status.get("state")), status.get("timestamp")
    return (intern(task_id) if type(task_id) is str else None,
            intern(context_id) if type(context_id) is str else None,
            state,
            timestamp if isinstance(timestamp, str) else None,
            final if final is True or final is False else None)


def artifact_atoms(d: Any) -> tuple[Any, ...] | None:
    """An artifact update as the atoms a :class:`StreamEvent` keeps (``ARTIFACT_ATOMS``, then
    each text part's text), or None when it needs its model (a part that is not only text).
    Same values as :func:`decode_artifact_update`."""
    if not isinstance(d, dict):
        return None
    get = d.get
    task_id, context_id, art, append, last = get("taskId"), get("contextId"), get("artifact"), \
        get("append"), get("lastChunk")
    if type(task_id) is str:
        task_id = intern(task_id)
    elif task_id is not None:
        task_id = None
    if type(context_id) is str:
        context_id = intern(context_id)
    elif context_id is not None:
        context_id = None
    if append is not True and append is not False:
        append = None
    if last is not True and last is not False:
        last = None
    if not isinstance(art, dict):
        return (task_id, context_id, None, None, None, append, last)
    aid, name, description, parts = art.get("artifactId"), art.get("name"), \
        art.get("description"), art.get("parts")
    if type(aid) is str:
        aid = intern(aid)
    elif aid is not None:
        aid = None
    if name is not None and not isinstance(name, str):
        name = None
    if description is not None and not isinstance(description, str):
        description = None
    if type(parts) is list and len(parts) == 1:  # one ``{"text": ...}``: a burst's chunk
        part = parts[0]
        if type(part) is dict and len(part) == 1 and type(text := part.get("text")) is str:
            return (task_id, context_id, aid, name, description, append, last, text)
    head = (task_id, context_id, aid, name, description, append, last)
    if not isinstance(parts, list):
        return head
    texts: list[str | None] = []
    for part in parts:
        if not isinstance(part, dict) or "text" not in part or \
                (len(part) > 1 and not _NOT_TEXT.isdisjoint(part)):
            return None
        text = part["text"]
        texts.append(text if isinstance(text, str) else None)
    return (*head, *texts)


_Atoms = tuple[EventKind, Callable[[Any], "tuple[Any, ...] | None"]]
_ATOMS_BY_WRAPPER: dict[str, _Atoms] = {"statusUpdate": ("status", status_atoms),
                                        "artifactUpdate": ("artifact", artifact_atoms)}
_ATOMS_BY_KIND: dict[str, _Atoms] = {"status-update": ("status", status_atoms),
                                     "artifact-update": ("artifact", artifact_atoms)}

_Decoder = tuple[EventKind, Callable[[Any], Any]]
_KIND_DECODERS: dict[str, _Decoder] = {
    "task": ("task", decode_task),
    "message": ("message", decode_message),
    "status-update": ("status", decode_status_update),
    "artifact-update": ("artifact", decode_artifact_update),
}
_WRAPPER_DECODERS: dict[str, _Decoder] = {
    "task": ("task", decode_task),
    "message": ("message", decode_message),
    "statusUpdate": ("status", decode_status_update),
    "artifactUpdate": ("artifact", decode_artifact_update),
}


#: What a decoder fills (``keep``): a unary call's record, or a stream's event.
Decoded = DecodedPayload | StreamEvent


def decode_stream_response(obj: Any, out: Decoded, prefer_kind: bool) -> Decoded:
    """A 1.0 StreamResponse (one wrapper member) or a 0.3 ``kind`` object, whichever it is.
    A :class:`StreamEvent` keeps a status or artifact update as atoms when it can."""
    if not isinstance(obj, dict):
        out.kind = "invalid"
        out.problems += (f"result is {type(obj).__name__}, expected an object",)
        return out
    if len(obj) == 1:  # the common 1.0 form: one wrapper member and nothing else
        for key, value in obj.items():
            if isinstance(out, StreamEvent) and (atoms := _ATOMS_BY_WRAPPER.get(key)):
                if (kept := atoms[1](value)) is not None:
                    out.keep(atoms[0], kept)
                    return out
            known = _WRAPPER_DECODERS.get(key)
            if known is not None:
                return out.keep(known[0], known[1](value))
    wrappers = [k for k in WRAPPERS if k in obj]
    kind = obj.get("kind")
    by_kind = isinstance(kind, str) and kind in _KIND_DECODERS
    if by_kind and (prefer_kind or not wrappers):
        if isinstance(out, StreamEvent) and (atoms := _ATOMS_BY_KIND.get(str(kind))):
            if (kept := atoms[1](obj)) is not None:
                out.keep(atoms[0], kept)
                return out
        name, fn = _KIND_DECODERS[str(kind)]
        return out.keep(name, fn(obj))
    if len(wrappers) == 1:
        name, fn = _WRAPPER_DECODERS[wrappers[0]]
        return out.keep(name, fn(obj[wrappers[0]]))
    if len(wrappers) > 1:
        out.kind = "invalid"
        out.problems += (f"StreamResponse carries {len(wrappers)} payloads: {wrappers}",)
        return out
    # No discriminator at all: infer from the shape, and say so.
    if "artifact" in obj and "taskId" in obj:
        guess = "artifact-update"
    elif "status" in obj and "taskId" in obj:
        guess = "status-update"
    elif "status" in obj and "id" in obj:
        guess = "task"
    elif "messageId" in obj or ("role" in obj and "parts" in obj):
        guess = "message"
    else:
        out.kind = "invalid"
        members = sorted(obj)[:8]
        out.problems += (f"unrecognized event object (members {members}; kind={kind!r})",)
        return out
    out.problems += (f"no kind/wrapper member; shape looks like {guess}",)
    name, fn = _KIND_DECODERS[guess]
    return out.keep(name, fn(obj))
