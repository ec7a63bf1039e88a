"""The wire layer: bytes on a socket to decoded, schema-checked events; no verdicts."""
