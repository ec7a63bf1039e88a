"""Judging: requirements, checks, the scenario context, grading and expectation files."""
