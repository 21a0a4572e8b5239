"""Test helpers shipped with the package: real local servers for tests, demos, benchmarks."""

from __future__ import annotations
