"""Rebuild the recordings in fixtures/regressions (a maintenance tool, not a test).

Three sources, each named in fixtures/regressions/regressions.toml:

- ``captured``: the raw captures in fixtures/transcripts, converted (chunks and arrival times
  as captured from the real implementation);
- ``recorded``: live recordings of a real implementation through its adapter (the correct
  streams), made with ``--a2a-record``;
- ``reconstructed``: the shape of a bug in REPORTED-BUGS.md reproduced by the reference
  server's fault switch, recorded live (not the original implementation's bytes).

    python -m tests.recording.make_regressions          # rewrites the fixtures, prints fails
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.recording.transcripts import convert

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "fixtures" / "regressions"
CAPTURED = (
    "a2a-sdk-followup-no-task-first", "a2a-sdk-raise-error-event",
    "a2a-sdk-v03-interrupted-final-false", "a2a-sdk-v03-invalid-params-as-invalid-request",
    "a2a-sdk-v03-reattach-errors-as-sse", "fasta2a-cancel-blocked",
    "fasta2a-cancel-terminal-accepted", "fasta2a-errors-as-500", "fasta2a-followup-new-task",
    "fasta2a-invalid-request-params", "fasta2a-naive-timestamps",
    "fasta2a-reattach-terminal-task", "fasta2a-reattach-unknown-sse-error",
    "fasta2a-tasks-serialized", "fasta2a-v03-names-1.0-shapes",
)
#: name -> (server command, test node id to record)
LIVE = {
    "a2a-sdk-correct-script-order": (
        "-m pytest_a2a.adapters.a2a_sdk --port {port}",
        "conformance_tests/test_ordering.py::test_script_order[v1.0-jsonrpc]"),
    "fasta2a-correct-script-order": (
        "-m pytest_a2a.adapters.fasta2a --port {port}",
        "conformance_tests/test_ordering.py::test_script_order[v1.0-jsonrpc]"),
    "bug08-exception-empty-200": (
        "-m reference_server --port {port} --fault exception-empty-200",
        "conformance_tests/test_errors.py::test_exception_ends_stream[v1.0-jsonrpc-first]"),
    "bug09-final-before-artifact": (
        "-m reference_server --port {port} --fault final-before-artifact",
        "conformance_tests/test_ordering.py::test_artifacts_before_terminal[v1.0-rest]"),
    "task-first-missing": (
        "-m reference_server --port {port} --fault no-task-first",
        "conformance_tests/test_ordering.py::test_task_first[v1.0-jsonrpc]"),
    "rejected-stays-open": (
        "-m reference_server --port {port} --fault rejected-not-final",
        "conformance_tests/test_closure.py::test_closes_after_terminal[v0.3-jsonrpc-rejected]"),
    "duplicate-final": (
        "-m reference_server --port {port} --fault duplicate-final",
        "conformance_tests/test_ordering.py::test_single_terminal[v1.0-rest]"),
    "events-held-back": (
        "-m reference_server --port {port} --fault batched-events",
        "conformance_tests/test_ordering.py::test_incremental_delivery[v1.0-jsonrpc]"),
}


def record(name: str, server: str, nodeid: str, work: Path) -> None:
    rec = work / name
    subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", nodeid,
                    "--a2a-server-cmd", f"{sys.executable} {server}", "--a2a-record", str(rec)],
                   cwd=ROOT, timeout=300, check=False, capture_output=True)
    (made,) = rec.glob("*.a2a.jsonl")
    shutil.copy(made, OUT / f"{name}.a2a.jsonl")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in CAPTURED:
        convert(ROOT / "fixtures" / "transcripts" / f"{name}.txt", OUT / f"{name}.a2a.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (server, nodeid) in LIVE.items():
            record(name, server, nodeid, Path(tmp))
    from tests.recording.test_regressions import failing

    for path in sorted(OUT.glob("*.a2a.jsonl")):
        print(path.name, sorted(failing(path)))


if __name__ == "__main__":  # pragma: no cover - maintenance tool
    main()
