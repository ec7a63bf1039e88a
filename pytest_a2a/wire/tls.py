"""The one verified TLS context of a test process, shared by every client the suite opens.

Building one (``load_verify_locations`` on the CA bundle) costs ~20 ms; the suite's async
clients, the card fetch, the boot poll and the health probe each built their own, in every
xdist worker too. A context is safe to share: httpx and asyncio only read it per connection.
"""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["tls_context"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verified context (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``)."""
    return httpx.create_ssl_context()
