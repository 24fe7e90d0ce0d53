"""The project's Lambda functions, built one way: latest Python runtime, arm64, X-Ray, JSON logs, own log group.

Each handler lives in `lambda/<package>/<package>.py` with `handler(event, context)` and is shipped alone (standard
library + the runtime's boto3), so the package directory is the asset, minus bytecode caches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Duration, aws_iam as iam, aws_lambda as lambda_, aws_logs as logs
from constructs import Construct

LAMBDA_ROOT = Path(__file__).resolve().parents[3] / "lambda"
# The newest Python runtime aws-cdk-lib knows (cdk-nag's AwsSolutions-L1 asks for the latest).
RUNTIME = lambda_.Runtime.PYTHON_3_14


def project_function(
    scope: Construct,
    id: str,
    *,
    package: str,
    description: str,
    role: iam.IRole,
    environment: dict[str, str],
    log_group: logs.ILogGroup,
    reserved_concurrency: int | None,
    memory_size: int = 256,
    timeout: Duration = Duration.seconds(60),
    **extra: Any,
) -> lambda_.Function:
    """A function running `lambda/<package>/<package>.handler`; `extra` goes to `aws_lambda.Function`."""
    return lambda_.Function(
        scope,
        id,
        runtime=RUNTIME,
        architecture=lambda_.Architecture.ARM_64,
        code=lambda_.Code.from_asset(str(LAMBDA_ROOT / package), exclude=["__pycache__", "*.pyc"]),
        handler=f"{package}.handler",
        description=description,
        memory_size=memory_size,
        timeout=timeout,
        reserved_concurrent_executions=reserved_concurrency,
        role=role,
        environment=environment,
        tracing=lambda_.Tracing.ACTIVE,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        **extra,
    )
