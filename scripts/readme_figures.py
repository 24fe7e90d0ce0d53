#!/usr/bin/env python3
"""Regenerate the README's generated figures, so that they cannot go stale.

The README holds blocks between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->`; this script rewrites each
from the repository itself:

    snapshots  every syrupy snapshot file under tests/ (what a snapshot update can change)
    mutation   the mutation scores `make mutation` wrote to mutation/scores/<target>.json, against their goals

    .venv/bin/python scripts/readme_figures.py          # rewrite README.md (make readme; make mutation runs it)
    .venv/bin/python scripts/readme_figures.py --check  # exit 1 if README.md is stale (tests/test_readme_figures.py)

Figures that change with every run (test counts, wall-clock timings) are deliberately not in the README.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def snapshots() -> str:
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("__snapshots__/**/*.json"))
    lines = [f"{len(files)} snapshot files:", ""]
    lines += [f"- `{f}`" for f in files]
    return "\n".join(lines)


def mutation() -> str:
    scores = {path.stem: json.loads(path.read_text()) for path in sorted((ROOT / "mutation" / "scores").glob("*.json"))}
    if not scores:
        return "No mutation run recorded yet: run `make mutation`."
    lines = [
        "| module | mutants | killed | survived | untested | score | goal |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in sorted(scores):
        s = scores[name]
        verdict = "met" if s["score"] >= s["goal"] else "**below**"
        lines.append(
            f"| `{s['module']}` | {s['total']} | {s['killed']} | {s['survived']} | {s['no_tests']} | "
            f"{s['score']:.1%} | {s['goal']:.0%} ({verdict}) |"
        )
    return "\n".join(lines)


GENERATORS = {"snapshots": snapshots, "mutation": mutation}


def render(text: str) -> str:
    for name, make in GENERATORS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no <!-- generated:{name} --> block")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md differs from what it would be")
    args = parser.parse_args(argv)
    current = README.read_text()
    wanted = render(current)
    if args.check:
        if wanted != current:
            print("README.md generated figures are stale: run `make readme`", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
