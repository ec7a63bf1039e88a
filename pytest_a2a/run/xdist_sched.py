"""xdist ``--dist load`` with the stress tests last, alone, on one worker.

Collection order alone is not enough under xdist: each worker would run its share of the
stress tests last, while the other workers still run ordinary scenarios against the same
target, and one frozen server fails them all. ``StressLastScheduling`` is xdist's own
``LoadScheduling`` for every other test; the stress tests are held back until all of those are
handed out, then every other worker is shut down, and once they have all finished the stress
tests go, in collection order, to the one worker left. Nothing runs beside them.

The controller never collects, so it learns which tests are stress tests from the workers: each
writes their node ids to a file the controller named in its ``workerinput`` (written before the
worker reports its collection, so it is there when scheduling starts). No file (no stress
tests): plain ``LoadScheduling``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from itertools import cycle
from pathlib import Path
from typing import Any

from xdist.scheduler import LoadScheduling  # type: ignore[import-untyped]


def write_stress_ids(path: str, nodeids: Sequence[str]) -> None:
    """Worker side: publish the stress tests' node ids (atomically; every worker writes the
    same list, the collections being identical)."""
    target = Path(path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(list(nodeids)), encoding="utf-8")
    tmp.replace(target)


def read_stress_ids(path: str) -> set[str]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {str(n) for n in data} if isinstance(data, list) else set()


def remove(path: str) -> None:
    with contextlib.suppress(OSError):
        Path(path).unlink()


class StressLastScheduling(LoadScheduling):  # type: ignore[misc]
    """``LoadScheduling`` that runs the stress tests after everything else, on one worker."""

    collection: list[str] | None
    maxschedchunk: int | None

    def __init__(self, config: Any, log: Any, stress_file: str) -> None:
        super().__init__(config, log)
        self.stress_file = stress_file
        self.held: list[int] = []
        self.stress_node: Any = None

    @property
    def tests_finished(self) -> bool:
        return not self.held and bool(super().tests_finished)

    @property
    def has_pending(self) -> bool:
        return bool(self.held) or bool(super().has_pending)

    def schedule(self) -> None:
        if self.collection is not None:
            super().schedule()
            return
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            return
        collection = next(iter(self.node2collection.values()))
        stress = read_stress_ids(self.stress_file)
        held = [i for i, nodeid in enumerate(collection) if nodeid in stress]
        if not held:
            super().schedule()
            return
        # LoadScheduling.schedule's first distribution, over the tests that are not held
        self.collection = collection
        self.held = held
        chosen = set(held)
        self.pending[:] = [i for i in range(len(collection)) if i not in chosen]
        if self.maxschedchunk is None:
            self.maxschedchunk = len(collection)
        if len(self.pending) < 2 * len(self.nodes):
            nodes = cycle(self.nodes)
            for _ in range(len(self.pending)):
                self._send_tests(next(nodes), 1)
        else:
            per_node = len(self.pending) // len(self.node2pending)
            chunk = max(min(per_node // 4, self.maxschedchunk), 2)
            for node in self.nodes:
                self._send_tests(node, chunk)
        if not self.pending:
            self._drain()

    def check_schedule(self, node: Any, duration: float = 0) -> None:
        if self.pending or not self.held:
            super().check_schedule(node, duration=duration)
        if not self.pending and self.held:
            self._drain()

    def remove_node(self, node: Any) -> str | None:
        crashed: str | None = super().remove_node(node)
        if node is self.stress_node:
            self.stress_node = None
        if self.held and not self.pending:
            self._drain()
        return crashed

    def _drain(self) -> None:
        """All other tests are handed out: keep one worker, let the others finish, then give
        it the stress tests (its last ordinary test runs first: a worker runs a test once the
        next one, or the shutdown, has arrived)."""
        open_nodes = [n for n in self.nodes if not n.shutting_down]
        if self.stress_node is None and open_nodes:
            self.stress_node = min(open_nodes, key=lambda n: len(self.node2pending[n]))
        if self.stress_node is None or self.stress_node.shutting_down:
            return  # the run is being stopped (-x, Ctrl-C, crashes): nothing more starts
        for node in open_nodes:
            if node is not self.stress_node:
                node.shutdown()
        if len(self.node2pending) == 1:
            node, held, self.held = self.stress_node, self.held, []
            self.node2pending[node].extend(held)
            node.send_runtest_some(held)
            node.shutdown()
