"""The reference app's configuration: every knob, its default, and how it is parsed from CDK context.

Set a knob in cdk.json under "context" or on the command line: `npx cdk deploy -c instance_type=ml.c5.large`.
Command-line values arrive as strings; they are parsed and validated here, and a bad value fails synth with a
message naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Callable

from constructs import Node

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class AppConfig:
    """Knobs of the reference app (context key = field name)."""

    stack_prefix: str = "SageMakerCdk"
    """Prefix of every stack name."""
    model_artifact: str = "models/xgboost/model.tar.gz"
    """Local model.tar.gz served by the endpoint (relative to the repo root)."""
    xgboost_version: str = "1.7-1"
    """Built-in XGBoost image version that serves the artifact."""
    instance_type: str = "ml.m5.large"
    instance_count: int = 2
    """Initial instances per variant (at least 2: one per AZ)."""
    max_capacity: int = 4
    """Autoscaling maximum per variant."""
    max_rps_per_instance: float = 20.0
    """Measured requests/second one instance sustains; target = max_rps x 60 x 0.5."""
    champion_weight: float = 9.0
    challenger_weight: float = 1.0
    deployment_mode: str = "canary"
    """Blue/green traffic shifting: all_at_once, canary or linear."""
    alarm_email: str = ""
    """If set, subscribes this address to the alarm topic."""
    interface_endpoints: bool = True
    """Create ECR and CloudWatch Logs VPC interface endpoints in the isolated VPC."""
    data_capture_percent: int = 0
    """Share of requests captured to the artifact bucket (0 = off)."""
    retain_data: bool = True
    """Keep the artifact bucket and keys when the stack is deleted."""
    serverless_memory_mb: int = 2048
    """Memory of the serverless endpoint (1024-6144, steps of 1024)."""
    serverless_max_concurrency: int = 5
    """Concurrent invocations the serverless endpoint may run (1-200)."""
    lambda_reserved_concurrency: int = 0
    """Reserved concurrency of each of the app's Lambda functions (the invocation APIs, batch, Neo); 0 = none. Off by
    default: a reservation fails the deploy on accounts whose Lambda concurrency quota is 10 or 50."""

    @property
    def reserved_concurrency(self) -> int | None:
        """`lambda_reserved_concurrency` as the constructs take it (None = no reservation)."""
        return self.lambda_reserved_concurrency or None

    @classmethod
    def from_context(cls, node: Node) -> "AppConfig":
        values: dict[str, Any] = {}
        errors: list[str] = []
        for f in fields(cls):
            raw = node.try_get_context(f.name)
            if raw is None:
                continue
            try:
                values[f.name] = _PARSERS[f.type](raw)  # type: ignore[index]
            except (ValueError, TypeError):
                errors.append(f"context {f.name}={raw!r} is not a valid {f.type}: fix it in cdk.json or -c")
        if errors:
            raise ValueError("AppConfig:\n  - " + "\n  - ".join(errors))
        return cls(**values)


def _bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no", ""):
        return False
    raise ValueError(raw)


def _int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError(raw)
    return int(str(raw).strip())


_PARSERS: dict[str, Callable[[Any], Any]] = {"str": str, "int": _int, "float": float, "bool": _bool}
