"""`python -m bench`: the benchmarks there are, and how to run each (by hand, not in CI).

Each benchmark is a folder `bench/<name>/` with a `run.py` whose docstring says what it
measures and how to run it; this lists them by reading those docstrings (nothing is
imported, so a benchmark's optional dependencies need not be installed to list it).
"""

from __future__ import annotations

import ast
from pathlib import Path

HERE = Path(__file__).parent


def benchmarks() -> dict[str, str]:
    """Benchmark name → the docstring of its run.py."""
    found = {}
    for script in sorted(HERE.glob("*/run.py")):
        doc = ast.get_docstring(ast.parse(script.read_text())) or "(no description)"
        found[script.parent.name] = doc
    return found


def main() -> None:
    print("Benchmarks: figures are printed, never asserted; quote medians with the load.")
    for name, doc in benchmarks().items():
        print(f"\n== {name}: .venv/bin/python -m bench.{name}.run ==\n{doc}")


if __name__ == "__main__":
    main()
