"""Fixtures for the wire-layer tests (helpers live in ``tests/wire/helpers.py``)."""

from __future__ import annotations

import pytest

from tests.wire.helpers import DIALECTS


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)
