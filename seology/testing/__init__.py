"""Test helpers shipped with the package: real local servers that tests, demos and benchmarks share."""

from __future__ import annotations
