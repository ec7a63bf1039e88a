"""The packaged A2A streaming conformance scenarios (collected only when asked for)."""
