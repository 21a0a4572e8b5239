"""The analysis of a crawl: its model, the rules engine and the Claude engine.

Plain logic over a crawl's pages and findings; the Prefect tasks that read them from the
store and save the result are in `tasks.analysis`.
"""

from __future__ import annotations
