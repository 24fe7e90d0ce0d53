"""The README's generated figures (snapshot list, mutation scores) match the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_figures_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_figures.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_mutation_scores_meet_their_goals() -> None:
    import json

    scores = json.loads((ROOT / "mutation" / "scores.json").read_text())
    assert {"invoke_endpoint", "batch_transform_trigger", "neo_compile", "validation"} <= set(scores)
    short = {name: s["score"] for name, s in scores.items() if s["score"] < s["goal"]}
    assert not short, f"below goal (run make mutation, kill or list the survivors in mutation/ACCEPTED.md): {short}"
