"""Rewrite the shipped test sets: ``python -m envs._generate_data``.

Run it only when a test set's definition changes, then commit ``envs/data/*.json``.
"""

from __future__ import annotations

from envs._test_sets import write_test_sets


def main() -> None:
    """Write ``envs/data/*.json`` and print the paths."""
    for path in write_test_sets():
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
