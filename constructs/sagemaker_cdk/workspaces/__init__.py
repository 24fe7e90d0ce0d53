"""Workspaces: notebook instances and SageMaker Studio domains."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

# public name -> module of this package that defines it. The top-level package re-exports every name listed here.
_EXPORTS: dict[str, str] = {
    "CodeRepository": "code_repository",
    "NotebookInstance": "notebook_instance",
    "SharedSpace": "shared_space",
    "StudioDomain": "studio_domain",
    "StudioLifecycleConfig": "studio_lifecycle_config",
    "StudioTeardown": "studio_teardown",
    "UserProfile": "user_profile",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - static analysers see the eager imports
    from .code_repository import CodeRepository
    from .notebook_instance import NotebookInstance
    from .shared_space import SharedSpace
    from .studio_domain import StudioDomain
    from .studio_lifecycle_config import StudioLifecycleConfig
    from .studio_teardown import StudioTeardown
    from .user_profile import UserProfile
