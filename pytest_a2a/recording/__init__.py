"""Recordings: capture every exchange of a live run, and judge captured streams offline.

``model`` (what a recording holds), ``jsonl`` (the project's own ``a2a-recording/1`` format,
written while a run goes), ``har`` / ``sse_body`` (recordings made by other tools), ``load``
(which reader a file needs), ``replay`` (rebuild a ``StreamResult`` through the live client's
``EventStream``), ``judges`` (stream-level requirements as functions of a ``StreamResult``),
``recorder`` / ``plugin`` (``--a2a-record`` / ``--a2a-replay``). See docs/recordings.md.
"""
