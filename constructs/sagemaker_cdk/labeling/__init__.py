"""Labeling: Ground Truth workteams and labeling jobs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> module of this package that defines it. The top-level package re-exports every name listed here.
_EXPORTS: dict[str, str] = {
    "ImportedWorkteam": "workteam",
    "LabelingJob": "labeling_job",
    "LabelingWorkteam": "workteam",
    "TaskType": "task_type",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .labeling_job import LabelingJob
    from .task_type import TaskType
    from .workteam import ImportedWorkteam, LabelingWorkteam
