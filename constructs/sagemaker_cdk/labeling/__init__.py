"""Labeling: Ground Truth workteams and labeling jobs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module of this package that defines it. The top-level package re-exports every name listed here.
_EXPORTS: dict[str, str] = {
    "ImportedWorkteam": "workteam",
    "LabelingJob": "labeling_job",
    "LabelingWorkteam": "workteam",
    "TaskType": "task_type",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .labeling_job import LabelingJob
    from .task_type import TaskType
    from .workteam import ImportedWorkteam, LabelingWorkteam
