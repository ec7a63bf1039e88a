"""Conformance-agent adapters that make real A2A frameworks run `a2a-conformance/1`."""
