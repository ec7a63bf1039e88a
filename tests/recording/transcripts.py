"""Convert the raw captures in fixtures/transcripts (``> request``, ``< response``,
``+0.048s b'...'`` chunks, ``-- closed by server at +t``) into ``a2a-recording/1`` files.

The chunks and their arrival times are the captured ones (the conversion is faithful); what the
text format did not keep is left unknown: the response time (taken as the first chunk's) and
when each exchange started relative to the others (taken as their order). Transcripts that are
suite failure excerpts (clipped lines, ``…(2478 chars)…``) cannot be converted and are refused.

    python -m tests.recording.transcripts fixtures/transcripts/X.txt OUT.a2a.jsonl
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from pytest_a2a.recording import guess, jsonl
from pytest_a2a.recording.model import Chunk, Exchange, Recording, RecordingError

_CHUNK = re.compile(r"^\+(\d+(?:\.\d+)?)s (b'.*'|b\".*\")$")
_END = re.compile(r"^-- closed by server at \+(\d+(?:\.\d+)?)s$")


def parse(path: Path, text: str) -> Recording:
    exchanges: list[Exchange] = []
    cur: Exchange | None = None
    in_body = False
    for n, line in enumerate(text.splitlines(), start=1):
        where = f"{path}:{n}"
        if line.startswith("> "):
            body_line = line[2:]
            if cur is None or cur.status is not None or cur.end != "unknown":
                if cur is not None and not in_body and cur.status is None:
                    raise RecordingError(f"{where}: request without an answer")
                method, _, url = body_line.partition(" ")
                cur = Exchange(index=len(exchanges) + 1, method=method, url=url.strip(),
                               started=float(len(exchanges)))
                exchanges.append(cur)
                in_body = False
            elif in_body:
                cur.request_body = (cur.request_body or b"") + body_line.encode()
            else:
                name, _, value = body_line.partition(":")
                cur.request_headers.append((name.strip(), value.strip()))
        elif line == ">":
            in_body = True
        elif line.startswith("< HTTP/") and cur is not None:
            parts = line[2:].split()
            cur.status = int(parts[1])
            cur.response_headers = []
        elif line.startswith("< ") and cur is not None and cur.response_headers is not None:
            name, _, value = line[2:].partition(":")
            cur.response_headers.append((name.strip(), value.strip()))
        elif (m := _CHUNK.match(line)) and cur is not None:
            data = ast.literal_eval(m.group(2))
            cur.chunks.append(Chunk(float(m.group(1)), data))
            if cur.response_t is None:
                cur.response_t = float(m.group(1))
        elif (m := _END.match(line)) and cur is not None:
            cur.end, cur.end_t = "closed", float(m.group(1))
            cur.total_bytes = sum(len(c.data) for c in cur.chunks)
            if cur.response_t is None:
                cur.response_t = cur.end_t
        elif "…(" in line and "chars)…" in line:
            raise RecordingError(f"{where}: a clipped excerpt, not a raw capture")
    if not exchanges:
        raise RecordingError(f"{path}: no '> METHOD URL' request in this transcript")
    for ex in exchanges:
        if ex.end == "unknown":
            raise RecordingError(f"{path}: exchange #{ex.index} has no '-- closed by server' "
                                 "line")
        guess.complete(ex)
    return Recording(path, jsonl.FORMAT, exchanges, test=f"fixtures/transcripts/{path.name}",
                     meta={"converted_from": f"fixtures/transcripts/{path.name}"})


def convert(src: Path, dst: Path) -> Recording:
    rec = parse(src, src.read_text(encoding="utf-8"))
    dst.write_text(jsonl.dump(rec), encoding="utf-8")
    return rec


if __name__ == "__main__":  # pragma: no cover - maintenance tool
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
