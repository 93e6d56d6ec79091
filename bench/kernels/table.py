"""Formats the tab-separated lines of bench.c, swift_peer and numpy_peer.py (name, level, ns)
as one markdown table: a column per kernel level, peers (level "-") in the last column."""
import sys

LEVELS = ["generic", "avx2", "avx512", "-"]


def main() -> None:
    rows: dict[str, dict[str, str]] = {}
    for line in sys.stdin:
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3:
            continue
        name, level, ns = parts
        rows.setdefault(name, {})[level] = f"{float(ns):.1f}"
    print("| ns per distance | generic | avx2 | avx512 | peer |")
    print("|---|---|---|---|---|")
    for name, by_level in rows.items():
        print(f"| {name} | " + " | ".join(by_level.get(level, "") for level in LEVELS) + " |")


if __name__ == "__main__":
    main()
