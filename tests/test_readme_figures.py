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


def test_recorded_mutation_scores_are_well_formed() -> None:
    # `make mutation` itself exits 1 when a target is below its goal; here we only check what it recorded.
    import json

    sys.path.insert(0, str(ROOT / "scripts"))
    from mutation import TARGETS

    scores = {path.stem: json.loads(path.read_text()) for path in (ROOT / "mutation" / "scores").glob("*.json")}
    assert scores and set(scores) <= set(TARGETS)
    for name, s in scores.items():
        tested = s["killed"] + s["survived"] + s["no_tests"] + s["timeout"]
        assert s["total"] >= tested > 0, name
        assert abs(s["score"] - s["killed"] / tested) < 0.01, name
