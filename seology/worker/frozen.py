"""Imported last by the fork server: moves everything it preloaded out of the collector's reach.

Why: a forked run shares the fork server's memory until it writes to it, and Python's
cycle collector writes to every object it examines: in a forked child of the preloaded
server one full `gc.collect()` took CPU and turned much of the shared memory into the
child's own; after `gc.freeze()` in the server, next to nothing (docs/internals/worker.md).
Frozen objects are never collected, which is right for modules a process keeps anyway.
Importing this module does only this (a fork server runs no other code of ours before
it forks), so it must stay the last entry of `seology.worker.warm.PRELOAD`.
"""

from __future__ import annotations

import gc

gc.freeze()
