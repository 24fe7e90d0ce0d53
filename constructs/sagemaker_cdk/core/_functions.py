"""The project's Lambda functions, built one way: latest Python runtime, arm64, X-Ray, JSON logs, own log group.

Each handler lives in `lambda/<package>/<package>.py` with `handler(event, context)` and is shipped alone (standard
library + the runtime's boto3), so the package directory is the asset, minus bytecode caches.

The handlers are package data: `sagemaker_cdk/_lambda` links to the repository's top-level `lambda/` directory, and
the wheel holds a real copy of it. They are found through `importlib.resources`, so the same lookup works from an
installed wheel and from an editable install.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from aws_cdk import Duration, aws_iam as iam, aws_lambda as lambda_, aws_logs as logs
from constructs import Construct

_PACKAGE = __name__.split(".", 1)[0]  # "sagemaker_cdk"


def handler_directory(package: str) -> Path:
    """The directory holding `<package>/<package>.py`, as shipped with the library (wheel or editable install)."""
    root = resources.files(_PACKAGE).joinpath("_lambda").joinpath(package)  # one segment per call on 3.10
    if not isinstance(root, Path):  # pragma: no cover - a zipped install has no directory to hand to an asset
        raise RuntimeError(f"{_PACKAGE} must be installed unzipped: handler {package!r} is not on the file system")
    if not root.joinpath(f"{package}.py").is_file():
        raise FileNotFoundError(f"{_PACKAGE} ships no Lambda handler {package}/{package}.py (looked in {root})")
    return root

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
    """A function running `lambda/<package>/<package>.handler`; `extra` goes to `aws_lambda.Function`.

    `reserved_concurrency`: None (every construct's default) reserves nothing. A reservation comes out of the
    account's unreserved pool, which Lambda keeps at 100 or more, so on accounts whose concurrency quota is 10 or 50
    any reservation fails with "decreases account's UnreservedConcurrentExecution below its minimum value".
    """
    from ._validation import acknowledge

    function = lambda_.Function(
        scope,
        id,
        runtime=RUNTIME,
        architecture=lambda_.Architecture.ARM_64,
        code=lambda_.Code.from_asset(str(handler_directory(package)), exclude=["__pycache__", "*.pyc"]),
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
    acknowledge(
        function,
        "CKV_AWS_173",
        "The function's environment holds resource names, ARNs and settings only, never secrets or data; Lambda "
        "encrypts it at rest with its AWS managed key, and a customer managed key would protect nothing secret.",
    )
    if reserved_concurrency is None:
        for finding in ("HIPAA.Security-LambdaConcurrency", "NIST.800.53.R5-LambdaConcurrency"):
            acknowledge(
                function,
                finding,
                "Reserved concurrency is off by default: a reservation fails the deploy on accounts whose Lambda "
                "concurrency quota is 10 or 50 (the unreserved pool must stay at 100 or more). The construct's "
                "reserved_concurrency prop sets one where the quota allows.",
            )
    return function
