"""The pytest-xdist scheduling of `make test` (tests/xdist_scheduling.py): whole modules per worker, the reference
app's modules as one unit, and the slow units handed out first."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from xdist_scheduling import REFERENCE_APP, ModuleUnits, units_of, write_units


def _item(nodeid: str, *fixtures: str, integration: bool = False) -> Any:
    return SimpleNamespace(nodeid=nodeid, fixturenames=list(fixtures),
                           get_closest_marker=lambda name: object() if integration and name == "integration" else None)


ITEMS = [
    _item("tests/app/test_a.py::test_uses_app", "reference_templates"),
    _item("tests/app/test_a.py::test_plain"),  # same module: must share the app's unit (module fixtures run once)
    _item("tests/unit/test_b.py::test_one"),
    _item("tests/unit/test_b.py::test_two"),
    _item("tests/unit/test_b.py::test_three"),
    _item("tests/unit/test_b.py::test_four"),
    _item("tests/integration/test_c.py::test_slow", integration=True),
    _item("tests/test_d.py::test_uses_assembly", "reference_assembly"),
]


def test_modules_are_units_and_the_reference_apps_modules_one_unit() -> None:
    assert units_of(ITEMS) == {  # type: ignore[arg-type]
        "tests/app/test_a.py::test_uses_app": REFERENCE_APP,
        "tests/app/test_a.py::test_plain": REFERENCE_APP,
        "tests/unit/test_b.py::test_one": "tests/unit/test_b.py",
        "tests/unit/test_b.py::test_two": "tests/unit/test_b.py",
        "tests/unit/test_b.py::test_three": "tests/unit/test_b.py",
        "tests/unit/test_b.py::test_four": "tests/unit/test_b.py",
        "tests/integration/test_c.py::test_slow": "tests/integration/test_c.py",
        "tests/test_d.py::test_uses_assembly": REFERENCE_APP,
    }


class _Node:
    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.sent: list[list[int]] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent.append(indexes)

    def shutdown(self) -> None:
        self.shutting_down = True


def test_the_reference_app_then_the_integration_tests_go_out_first(tmp_path: Path) -> None:
    write_units(tmp_path, ITEMS)  # type: ignore[arg-type]
    assert json.loads((tmp_path / "scheduling.json").read_text())["first"] == [REFERENCE_APP,
                                                                            "tests/integration/test_c.py"]
    options = {"tx": ["2*popen"], "numprocesses": 2, "maxprocesses": None, "dist": "load", "loadscopereorder": True}
    config: Any = SimpleNamespace(getvalue=options.get, getoption=lambda name, default=None: options.get(name, default),
                                  option=SimpleNamespace(**options))
    scheduler = ModuleUnits(config, None, tmp_path)
    ids = [item.nodeid for item in ITEMS]
    first, second = _Node("gw0"), _Node("gw1")
    for node in (first, second):
        scheduler.add_node(node)  # type: ignore[arg-type]
        scheduler.add_node_collection(node, ids)  # type: ignore[arg-type]
    scheduler.schedule()
    # xdist alone hands out the largest unit by test count first: test_b's four tests.
    assert first.sent[0] == [0, 1, 7]  # the reference app's unit: test_a's two tests and test_d's
    assert second.sent[0] == [6]  # the integration module
