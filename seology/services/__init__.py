"""Domain operations on the app database, shared by the job API, the CLI and the flows.

Functions are keyword-only and take the caller's `Session`; they flush but never
commit, so the caller's `session_scope` decides the transaction.
"""

from __future__ import annotations
