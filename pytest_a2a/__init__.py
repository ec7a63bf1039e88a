"""pytest-a2a: a streaming conformance suite for A2A servers, shipped as a pytest plugin.

Kept import-light on purpose: the plugin module is loaded in every pytest run of every project
that has this package installed, so heavy modules are imported only when a scenario needs them.
"""

__version__ = "0.1.0"
