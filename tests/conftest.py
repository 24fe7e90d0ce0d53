"""Session-wide fixtures: the reference app is synthesized once (with the gating cdk-nag packs) and shared.

The hooks wire in the background jobs (tests/background.py) and, under pytest-xdist, the scheduling that keeps each
module, and the reference app's modules together, on one worker (tests/xdist_scheduling.py).
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "18,20")

from typing import Any  # noqa: E402

import pytest  # noqa: E402

import background  # noqa: E402
import support  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    background.configure(config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:  # xdist controller: before a worker starts
    background.configure_node(node)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:  # xdist controller
    background.start_for(ids)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:  # xdist controller
    """Whole modules per worker, the reference app's modules together, the slow ones first (tests/xdist_scheduling.py)."""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None  # an explicit --dist loadscope/loadfile/each/worksteal is xdist's own
    from xdist_scheduling import ModuleUnits

    return ModuleUnits(config, log, background.base())


@pytest.hookimpl(trylast=True)  # after deselection, before the worker reports its collection to the controller
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if background.is_worker(config):
        from xdist_scheduling import write_units

        write_units(background.base(), items)


def pytest_collection_finish(session: pytest.Session) -> None:
    if not background.is_controller(session.config) and not background.is_worker(session.config):
        background.start_for(item.nodeid for item in session.items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    background.finish(session.config)


@pytest.fixture(scope="session")
def reference_assembly() -> Any:
    """The reference app as `make synth` builds it, nag-checked (AwsSolutions + Serverless)."""
    from stacks.app_builder import build_app

    app = support.new_app(validation=True)
    stacks = build_app(app)
    assembly = support.synth_nag_clean(app)
    return assembly, {key: stack.stack_name for key, stack in stacks.items()}


@pytest.fixture(scope="session")
def reference_templates(reference_assembly: Any) -> dict[str, dict[str, Any]]:
    assembly, names = reference_assembly
    return {key: assembly.get_stack_by_name(name).template for key, name in names.items()}


@pytest.fixture()
def stack() -> Any:
    """A fresh stack named "Test" in an app with the project's feature flags."""
    import aws_cdk as cdk

    return cdk.Stack(support.new_app(), "Test")
