"""CLI: ``python -m reference_server --host 127.0.0.1 --port 0 [--fault F]... [--variant V]...``.

Prints ``listening on http://HOST:PORT`` (flushed) once it accepts connections.
"""

from __future__ import annotations

import argparse
import sys

from reference_server.options import DEFAULT_BUFFER, FAULTS, VARIANTS, make_options
from reference_server.runner import serve_forever


def _table(title: str, entries: dict[str, str]) -> str:
    width = max(map(len, entries))
    return title + "\n" + "\n".join(f"  {k:<{width}}  {v}" for k, v in sorted(entries.items()))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m reference_server",
        description="pytest-a2a reference A2A server (a2a-conformance/1 agent, three dialects).",
        epilog=_table("faults:", FAULTS) + "\n\n" + _table("variants:", VARIANTS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0 = pick a free port (printed)")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=sorted(FAULTS),
        metavar="NAME",
        help="switch on a fault (repeatable; see the list below)",
    )
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        choices=sorted(VARIANTS),
        metavar="NAME",
        help="switch on a legal variation (repeatable)",
    )
    p.add_argument(
        "--buffer",
        type=int,
        default=DEFAULT_BUFFER,
        help=f"events buffered per stream before a slow reader is cut off ({DEFAULT_BUFFER})",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        options = make_options(args.fault, args.variant, args.buffer)
    except ValueError as exc:
        parser().error(str(exc))
    try:
        serve_forever(
            options, args.host, args.port, lambda url: print(f"listening on {url}", flush=True)
        )
    except KeyboardInterrupt:  # Ctrl-C: uvicorn shut down cleanly, then re-raised it
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
