"""The agent card: 1.0 ``supportedInterfaces`` plus the v0.3 top-level fields.

The card faults (``card-incomplete``, ``interface-dialect-mismatch``) change it here; where it
is served (``card-legacy-path``) is the app's business.
"""

from __future__ import annotations

from typing import Any

from reference_server.options import Options

VERSION = "0.1.0"
LEGACY_CARD_PATH = "/.well-known/agent.json"  # fault card-legacy-path: the ≤0.2 path
V03_ONLY_PATH = "/v03"  # fault interface-dialect-mismatch: declared 1.0, speaks 0.3


def agent_card(base: str, options: Options) -> dict[str, Any]:
    """The card for a server reachable at ``base`` (scheme://host:port, no trailing slash)."""
    streaming = not (
        options.variant("no-streaming") or options.fault("streaming-capability-ignored")
    )
    card: dict[str, Any] = {
        "name": "pytest-a2a reference server",
        "description": (
            "In-memory A2A server that runs the a2a-conformance/1 script agent in three "
            "dialects (v0.3 JSON-RPC, v1.0 JSON-RPC, v1.0 HTTP+JSON); the oracle of pytest-a2a."
        ),
        "version": VERSION,
        "supportedInterfaces": [
            {"url": f"{base}/", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
            {"url": base, "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"},
        ],
        "url": f"{base}/",
        "protocolVersion": "0.3.0",
        "preferredTransport": "JSONRPC",
        "capabilities": {"streaming": streaming, "pushNotifications": False},
        "defaultInputModes": ["text/plain"],
        "defaultOutputModes": ["text/plain"],
        "skills": [
            {
                "id": "a2a-conformance",
                "name": "a2a-conformance/1 script agent",
                "description": (
                    "Performs the a2a-conformance/1 script in the first text part of the "
                    "message; plain text gets a streamed answer (a number in it: its length in "
                    "words)."
                ),
                "tags": ["conformance", "testing"],
                "examples": [
                    'a2a-conformance/1\n{"steps": [{"status": "working"}, '
                    '{"artifact": {"id": "a1", "text": "hello"}}, {"status": "completed"}]}'
                ],
            }
        ],
    }
    if options.fault("interface-dialect-mismatch"):  # a second, lying 1.0 JSONRPC entry
        card["supportedInterfaces"].append(
            {"url": base + V03_ONLY_PATH, "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}
        )
    if options.fault("card-incomplete"):
        for key in ("description", "defaultInputModes", "defaultOutputModes"):
            del card[key]
    return card
