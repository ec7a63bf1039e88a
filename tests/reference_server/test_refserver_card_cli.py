"""The agent card, the in-process API and the CLI (as a real subprocess on port 0)."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time

import httpx
import pytest
from rs_wire import validator

import reference_server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_card_valid_for_both_versions(server: reference_server.RunningServer) -> None:
    card = httpx.get(server.url + "/.well-known/agent-card.json", timeout=5).json()
    assert not list(validator("v0.3-jsonrpc", "AgentCard").iter_errors(card))
    assert not list(validator("v1.0-rest", "AgentCard", lax=True).iter_errors(card))
    assert card["capabilities"]["streaming"] is True
    assert card["url"] == server.url + "/" and card["protocolVersion"].startswith("0.3")
    assert card["preferredTransport"] == "JSONRPC"
    assert {
        (i["protocolBinding"], i["protocolVersion"], i["url"]) for i in card["supportedInterfaces"]
    } == {
        ("JSONRPC", "1.0", server.url + "/"),
        ("HTTP+JSON", "1.0", server.url),
    }
    assert "a2a-conformance" in [s["id"] for s in card["skills"]]


def test_api_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"valid faults: .*duplicate-final"):
        reference_server.start(faults=["no-such-fault"])
    with pytest.raises(ValueError, match=r"valid variants: .*crlf"):
        reference_server.start(variants=["nope"])


def test_stop_is_idempotent_and_bounded_with_open_streams() -> None:
    running = reference_server.start(faults=["exception-hangs"])
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "message/stream",
        "params": {
            "message": {
                "kind": "message",
                "messageId": "m",
                "role": "user",
                "parts": [{"kind": "text", "text": 'a2a-conformance/1\n{"steps":[{"raise":"x"}]}'}],
            }
        },
    }
    with (
        httpx.Client(timeout=5) as client,
        client.stream("POST", running.url + "/", json=body) as r,
    ):
        next(r.iter_lines())  # the stream is open and will never end by itself
        t0 = time.monotonic()
        running.stop()
        running.stop()
        assert time.monotonic() - t0 < 5


def _cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.Popen(
        [sys.executable, "-m", "reference_server", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def test_cli_port_zero_announces_and_serves() -> None:
    proc = _cli("--port", "0", "--fault", "duplicate-final", "--variant", "crlf", "--buffer", "64")
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 10)  # deadline: never hang
        assert ready, "no announcement within 10 s"
        line = proc.stdout.readline()  # flushed once accepting
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", line)
        assert match and int(match.group(2)) > 0, line
        card = httpx.get(match.group(1) + "/.well-known/agent-card.json", timeout=5).json()
        assert card["name"] == "pytest-a2a reference server"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it caught


@pytest.mark.parametrize("args", [["--fault", "bogus"], ["--variant", "bogus"]])
def test_cli_unknown_name_exits_2_listing_choices(args: list[str]) -> None:
    proc = _cli("--port", "0", *args)
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 2
    assert "bogus" in err and ("duplicate-final" in err or "crlf" in err)
