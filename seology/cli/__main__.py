"""`python -m seology.cli`: the same as the `seology` console script."""

from __future__ import annotations

from seology.cli import main

main()
