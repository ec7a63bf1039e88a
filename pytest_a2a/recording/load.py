"""Which reader a file needs, decided by its content (not its name), and directory walking.

A file that is none of the three forms is a usage error naming what was expected, so a user
who points ``--a2a-replay`` at the wrong file learns why at once instead of seeing 0 tests.
"""

from __future__ import annotations

from pathlib import Path

from pytest_a2a.recording import guess, har, jsonl, sse_body
from pytest_a2a.recording.model import Recording, RecordingError

#: file names a directory walk picks up (a single file given explicitly is sniffed whatever
#: its name)
SUFFIXES = (jsonl.SUFFIX, ".har", ".sse")
DIALECT_IDS = ("v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest")
MAX_FILE_BYTES = 512 * 1024 * 1024
EXPECTED = (
    "expected an a2a-recording/1 file (*.a2a.jsonl, written by --a2a-record), a HAR 1.2 file "
    "(an object with log.entries, saved by mitmproxy or browser devtools) or a raw SSE body "
    "('data:' lines, e.g. saved by curl -N; curl -N -i keeps the headers)"
)


def load_file(path: Path, dialect_hint: str | None = None) -> Recording:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RecordingError(f"{path}: {size} bytes; recordings over "
                                 f"{MAX_FILE_BYTES // 2**20} MiB are refused")
        data = path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{path}: cannot read: {exc}") from None
    if jsonl.is_own(data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordingError(f"{path}: not UTF-8 ({exc})") from None
        rec = jsonl.read(path, text)
    elif har.looks_like(data):
        rec = har.read(path, data)
    elif sse_body.looks_like(data):
        rec = sse_body.read(path, data)
    else:
        raise RecordingError(f"{path}: not a recording: {EXPECTED}")
    for ex in rec.exchanges:
        if ex.dialect is not None and ex.dialect not in DIALECT_IDS:
            raise RecordingError(f"{path}: exchange #{ex.index}: unknown dialect "
                                 f"{ex.dialect!r}; valid: {', '.join(DIALECT_IDS)}")
        guess.complete(ex, dialect_hint if rec.kind == "sse" or ex.dialect is None else None)
        if rec.kind == "sse" and ex.op is None:
            ex.op = "stream"
            ex.notes.append("operation assumed: stream (give 'operation' in the sidecar)")
        if rec.kind == "sse" and ex.dialect is None:
            raise RecordingError(
                f"{path}: cannot tell the dialect from the events; give it with --a2a-dialect "
                "and --a2a-binding, or a sidecar file "
                f"{path.name}.json holding {{\"dialect\": \"v1.0-jsonrpc\"}}")
    return rec


def load(path: Path, dialect_hint: str | None = None) -> list[Recording]:
    """Every recording at ``path`` (a file, or a directory walked for ``SUFFIXES``)."""
    if not path.exists():
        raise RecordingError(f"{path}: no such file or directory")
    if path.is_file():
        return [load_file(path, dialect_hint)]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES))
    if not files:
        raise RecordingError(f"{path}: no recordings in this directory ({', '.join(SUFFIXES)} "
                             f"files); {EXPECTED}")
    return [load_file(p, dialect_hint) for p in files]


def dialect_hint(version: str, binding: str) -> str | None:
    """The dialect --a2a-dialect/--a2a-binding name, when they name exactly one."""
    if version == "0.3":
        return "v0.3-jsonrpc"
    if version == "1.0" and binding in ("jsonrpc", "rest"):
        return f"v1.0-{binding}"
    return None
