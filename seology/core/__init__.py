"""The base every layer stands on: settings, errors, logging, timing, the job model.

Imports nothing else of ours (a lint contract keeps it so).
"""

from __future__ import annotations
