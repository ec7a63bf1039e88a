"""Helpers shared by the plugin tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
FAKE_AGENT = HERE / "fake_agent.py"

#: requirement data the pytester projects grade against (one per level, several dialects)
REQUIREMENTS = """
[[requirement]]
id = "demo.must"
level = "MUST"
dialects = ["v0.3-jsonrpc", "v1.0-jsonrpc", "v1.0-rest"]
spec = "R5"
text = "A task stream starts with a Task event."
bugs = ["https://example.invalid/bug/1"]

[[requirement]]
id = "demo.should"
level = "SHOULD"
dialects = ["v1.0-jsonrpc", "v1.0-rest"]
text = "Streams close promptly."

[[requirement]]
id = "demo.may"
level = "MAY"
dialects = ["v1.0-jsonrpc", "v1.0-rest"]
text = "Several streams per task."

[[requirement]]
id = "demo.info"
level = "INFO"
dialects = ["v1.0-rest"]
text = "Whether the stream stays open on input-required."

[[requirement]]
id = "demo.old"
level = "MUST"
dialects = ["v0.3-jsonrpc"]
text = "final is true on the last status update."
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fake_agent_cmd(*extra: str) -> str:
    """An ``--a2a-server-cmd`` value booting the fake agent with ``extra`` arguments."""
    return " ".join([sys.executable, str(FAKE_AGENT), "--port", "{port}", *extra])


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still "exists": check its state
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_dead(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False
