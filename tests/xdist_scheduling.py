"""How `make test` spreads the suite over pytest-xdist workers: whole test modules, with the reference app's modules
together, heaviest first.

- Each test module goes to one worker, so its module-scoped fixtures (pyright, a construct's test stack, a synth)
  run once per run, not once per worker.
- Every module that uses the reference app's session synthesis (`reference_assembly`, `reference_templates`) is one
  unit, so that the app is synthesized once per run.
- Units that hold the slow tests (that synthesized reference app, and the `integration` tests: moto server, CDK CLI)
  are handed out first, so that none of them starts last and becomes the tail of the run.

The workers decide the units while they collect (they see each test's fixtures and marks) and write them to the run's
shared directory (tests/background.py); the controller's scheduler reads them. xdist's own `--dist loadgroup` would
do the grouping, but with pytest 9.2 its group suffix no longer reaches the node ids (it sets `Node._nodeid`, which
pytest 9.2 replaced), so the groups would be silently ignored.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

REFERENCE_APP = "reference app"
_SHARED_FIXTURES = {"reference_assembly", "reference_templates"}
FILE = "scheduling.json"


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0]


def units_of(items: list[pytest.Item]) -> dict[str, str]:
    """node id -> unit: its module, or the reference app's unit for every test of a module that uses its synthesis."""
    shared = {_module(item.nodeid) for item in items if _SHARED_FIXTURES & set(getattr(item, "fixturenames", ()))}
    return {item.nodeid: REFERENCE_APP if _module(item.nodeid) in shared else _module(item.nodeid) for item in items}


def write_units(base: Path, items: list[pytest.Item]) -> None:
    """In a worker, after collection: node id -> unit, and the units that go first."""
    units = units_of(items)
    heavy = sorted({units[item.nodeid] for item in items
                    if units[item.nodeid] == REFERENCE_APP or item.get_closest_marker("integration")},
                   key=lambda unit: (unit != REFERENCE_APP, unit))
    temporary = base / f".{FILE}.{os.getpid()}"
    temporary.write_text(json.dumps({"units": units, "first": heavy}))
    temporary.replace(base / FILE)


class ModuleUnits(LoadScopeScheduling):
    """xdist's load-scope scheduling with the units above (read once the workers have collected)."""

    def __init__(self, config: pytest.Config, log: Any, base: Path) -> None:
        super().__init__(config, log)
        self._base = base
        self._units: dict[str, str] | None = None
        self._first: list[str] = []

    def _split_scope(self, nodeid: str) -> str:
        if self._units is None:
            plan = json.loads((self._base / FILE).read_text())
            self._units, self._first = plan["units"], plan["first"]
        return self._units.get(nodeid, _module(nodeid))

    def _assign_work_unit(self, node: Any) -> None:
        if self._first:
            # Move the heavy units to the front of the queue, once, before the first unit is handed out.
            first = [unit for unit in self._first if unit in self.workqueue]
            rest = [(unit, ids) for unit, ids in self.workqueue.items() if unit not in first]
            self.workqueue = OrderedDict([(unit, self.workqueue[unit]) for unit in first] + rest)
            self._first = []
        super()._assign_work_unit(node)
