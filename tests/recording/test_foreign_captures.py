"""Captures made by other tools are judged correctly: a body saved by the real ``curl -N``
(and ``curl -N -i``) from the reference server, and a HAR written by the HAR 1.2 spec from a
real recorded exchange (mitmproxy is not installed here; the HAR has mitmproxy's layout:
``content.text`` base64 with ``encoding``). Verdicts equal the own-format replay's, except the
timing requirements, which an untimed capture reports as not judged."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import reference_server
from pytest_a2a import script
from pytest_a2a.wire.dialects import get_dialect
from tests.recording.test_regressions import FOLDER, verdicts

STEPS: list[dict[str, Any]] = [{"status": "working"}, {"artifact": {"id": "a1", "text": "x"}},
                               {"status": "completed"}]
TIMED = {"closure.closes-after-terminal", "ordering.incremental-delivery",
         "ordering.incremental-delivery-0.3"}


def _curl(url: str, body: bytes, headers: dict[str, str], out: Path, *, head: bool) -> None:
    args = ["curl", "-sS", "-N", "--max-time", "10", "-o", str(out), "--data-binary", "@-"]
    args += ["-i"] if head else []
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    subprocess.run([*args, url], input=body, check=True, timeout=20)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize("head", [False, True], ids=["curl-N", "curl-N-i"])
@pytest.mark.parametrize("fault, must_fail", [
    (None, set()),
    ("duplicate-final", {"ordering.single-terminal"}),
    ("no-task-first", {"ordering.task-first"}),
    ("wrong-content-type", {"framing.content-type"}),
])
def test_curl_body(tmp_path: Path, head: bool, fault: str | None, must_fail: set[str]) -> None:
    dialect = get_dialect("v1.0-jsonrpc")
    req = dialect.build("stream", text=script.build(STEPS))
    out = tmp_path / "stream.sse"
    with reference_server.start(faults=[fault] if fault else []) as server:
        _curl(server.url + "/", req.body or b"", req.headers, out, head=head)
    (tmp_path / "stream.sse.json").write_text(json.dumps(
        {"dialect": "v1.0-jsonrpc", "request": json.loads(req.body or b"{}")}))
    got = verdicts(out)
    fails = {rid for rid, o in got.items() if "fail" in o}
    if not head:  # no status line: content type not judged, the rest is
        must_fail = must_fail - {"framing.content-type"}
        assert got["framing.content-type"] == {"not-judged"}
    assert fails == must_fail
    assert got["ordering.rpc-id"] == {"pass"}  # the sidecar's request gives the id
    assert got["closure.closes-after-terminal"] == {"not-judged"}


def _har_from(rec_path: Path) -> dict[str, object]:
    """A HAR 1.2 document of a recording's exchanges (mitmproxy's layout)."""
    from pytest_a2a.recording.load import load_file

    entries = []
    for ex in load_file(rec_path).exchanges:
        body = ex.body
        entries.append({
            "startedDateTime": "2026-12-03T16:24:12.000Z", "time": (ex.end_t or 0) * 1000,
            "request": {"method": ex.method, "url": ex.url, "httpVersion": "HTTP/1.1",
                        "headers": [{"name": k, "value": v} for k, v in ex.request_headers],
                        "queryString": [], "cookies": [], "headersSize": -1,
                        "bodySize": len(ex.request_body or b""),
                        "postData": {"mimeType": "application/json",
                                     "text": (ex.request_body or b"").decode()}},
            "response": {"status": ex.status, "statusText": "", "httpVersion": "HTTP/1.1",
                         "headers": [{"name": k, "value": v}
                                     for k, v in ex.response_headers or []],
                         "cookies": [], "redirectURL": "", "headersSize": -1,
                         "bodySize": len(body),
                         "content": {"size": len(body), "compression": 0,
                                     "mimeType": ex.content_type or "",
                                     "text": base64.b64encode(body).decode(),
                                     "encoding": "base64"}},
            "cache": {}, "timings": {"send": 0, "wait": 1, "receive": 1}})
    return {"log": {"version": "1.2", "creator": {"name": "mitmproxy", "version": "11.0"},
                    "entries": entries}}


@pytest.mark.parametrize("name", ["bug09-final-before-artifact", "task-first-missing",
                                  "rejected-stays-open", "a2a-sdk-followup-no-task-first",
                                  "fasta2a-errors-as-500"])
def test_har_of_a_real_exchange(tmp_path: Path, name: str) -> None:
    own = FOLDER / f"{name}.a2a.jsonl"
    har = tmp_path / f"{name}.har"
    har.write_text(json.dumps(_har_from(own)))
    want, got = verdicts(own), verdicts(har)
    for rid in TIMED & set(want):
        assert got[rid] == {"not-judged"}, rid
        del want[rid], got[rid]
    assert got == want
