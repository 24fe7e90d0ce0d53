#!/usr/bin/env python3
"""Run every benchmark in bench/ and print their tables (`make bench ARGS="--quick"`).

Each script runs in its own process, one after the other so they do not compete for the CPU; the arguments given
here (e.g. --quick) go to each script whose --help lists them. Tables go to stdout, progress to stderr; JSON
results land in bench/out/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# In this order; scripts that are absent are skipped (invoke_handler.py is maintained separately).
SCRIPTS = ("synth_bench.py", "invoke_handler.py")


def main(argv: list[str]) -> int:
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "18,20",
    }
    failed = []
    for name in SCRIPTS:
        script = BENCH / name
        if not script.exists():
            continue
        args, dropped = accepted_args(script, argv, env)
        print(f"\n## bench/{name} {' '.join(args)}\n", flush=True)
        if dropped:
            print(f"(bench/{name} does not take {' '.join(dropped)}: not passed)", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script), *args], env=env, cwd=BENCH.parent)
        print(f"\n(bench/{name}: exit {code}, {time.perf_counter() - started:.0f} s)", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def accepted_args(script: Path, argv: list[str], env: dict) -> tuple[list[str], list[str]]:
    """The options of argv that the script's --help lists (with their values); the rest are dropped.

    `--quick` and the like are passed only to the scripts that understand them.
    """
    if not argv:
        return [], []
    usage = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, env=env).stdout
    kept: list[str] = []
    dropped: list[str] = []
    i = 0
    while i < len(argv):
        option = argv[i]
        value = [argv[i + 1]] if i + 1 < len(argv) and not argv[i + 1].startswith("-") else []
        target = kept if option.split("=", 1)[0] in usage else dropped
        target += [option, *value]
        i += 1 + len(value)
    return kept, dropped


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
