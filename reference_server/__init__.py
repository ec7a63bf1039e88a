"""pytest-a2a's in-memory reference A2A server: the `a2a-conformance/1` agent in three dialects.

    with reference_server.start(faults=["duplicate-final"]) as server:
        ...  # server.url

It shares no wire code with the checker (it imports only ``pytest_a2a.script``).
"""

from reference_server.options import DEFAULT_BUFFER, FAULTS, VARIANTS
from reference_server.runner import RunningServer, start

__all__ = ["DEFAULT_BUFFER", "FAULTS", "VARIANTS", "RunningServer", "start"]
