"""Start one SageMaker Neo compilation job (CreateCompilationJob) for a model artifact; never waits for it.

The NeoCompilation state machine invokes this function, then polls DescribeCompilationJob itself (Wait + Choice):
no Lambda ever sleeps. The function can also be invoked directly.

Accepted events:

    EventBridge   {"source": "aws.s3", "detail-type": "Object Created",
                   "detail": {"bucket": {"name"}, "object": {"key", "version-id"?, "etag"?}}}
    On demand     {"key": "<INPUT_PREFIX>.../model.tar.gz", "version_id"?: "..."}  or  {"s3_uri": "s3://<BUCKET>/<key>"}

The artifact must be a `.tar.gz` object in BUCKET under INPUT_PREFIX: the compilation role may read only there.

Idempotency. The job name is "<JOB_NAME_PREFIX>-<readable part of the key>-<16 hex of SHA-256>" over the bucket,
key, object version (else ETag), the target and the compilation settings; always lower case, at most 63 characters,
matching SageMaker's `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`. A redelivered event, or a second start for the same
artifact and settings, yields the same name; SageMaker refuses a second job of that name (ResourceInUse, or a
ValidationException saying it "already exists"), which this function reports as {"status": "duplicate"}: the job is
already running or done, and the state machine stops there instead of creating the model twice. Upload a new
version (or pass another "version_id") to compile again.

Errors raised (their class names are the Step Functions error names):

    InvalidInput         the event names no artifact, or one outside BUCKET / INPUT_PREFIX, or not a .tar.gz
    Misconfigured        the environment is invalid (e.g. both TARGET_DEVICE and TARGET_PLATFORM set)
    CompilationRejected  SageMaker rejected the request (ValidationException and other 4xx), with its message
    botocore errors      throttling and 5xx, after botocore's standard retries (5 attempts)

Environment:

    BUCKET                 required: the artifact bucket name
    INPUT_PREFIX           required: key prefix of the artifacts, e.g. "neo/input/"
    OUTPUT_PREFIX          required: compiled models go to s3://<BUCKET>/<OUTPUT_PREFIX><job name>/
    ROLE_ARN               required: the SageMaker execution role of the compilation jobs
    FRAMEWORK              required: CreateCompilationJob's Framework, e.g. "XGBOOST" (checked against botocore)
    FRAMEWORK_VERSION      optional, e.g. "1.8"; only for MXNET, PYTORCH, TENSORFLOW and TFLITE (botocore)
    DATA_INPUT_CONFIG      optional JSON, e.g. '{"data": [1, 5]}'
    TARGET_DEVICE          one of TARGET_DEVICE / TARGET_PLATFORM: e.g. "ml_c5"
    TARGET_PLATFORM        JSON {"Os": "LINUX", "Arch": "ARM64", "Accelerator"?: "NVIDIA"}
    COMPILER_OPTIONS       optional JSON string
    KMS_KEY_ID             optional: KMS key that encrypts the compiled artifact
    MAX_RUNTIME_SECONDS    default 900
    JOB_NAME_PREFIX        lower case, at most 24 characters; default "neo"
    VPC_SUBNETS, VPC_SECURITY_GROUPS   optional comma-separated ids: run the job in your VPC
    EVENTBRIDGE_KEYS_URL_ENCODED       "true" (default) or "false": whether EventBridge object keys are URL-encoded
    LOG_LEVEL              default INFO

Returns {"job_name", "job_arn", "status": "created" | "duplicate", "artifact", "output_location", "target"}.
Imports stay light (botocore and the standard library): the module is imported on every cold start.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from urllib.parse import unquote_plus

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_NAME = 63
MAX_PREFIX = 24
DIGEST_CHARS = 16  # 64 bits: a collision among a million artifacts has odds of about 3e-8
DEFAULT_PREFIX = "neo"
DEFAULT_MAX_RUNTIME = 900
MAX_S3_URI = 1024  # SageMaker's S3Uri limit; botocore does not check maximum lengths
_PREFIX = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")
_DUPLICATE_MESSAGE = re.compile(r"already exist|must be unique", re.I)
_S3_URI = re.compile(r"^s3://([^/]+)/(.+)$")
# botocore's InputConfig.FrameworkVersion: "only supported for the MXNet, PyTorch, TensorFlow and TensorFlow Lite
# frameworks". Any other framework with a version is a request SageMaker does not document.
VERSIONED_FRAMEWORKS = ("MXNET", "PYTORCH", "TENSORFLOW", "TFLITE")


class InvalidInput(Exception):
    """The event does not name a compilable artifact."""


class Misconfigured(Exception):
    """The function's environment is invalid."""


class CompilationRejected(Exception):
    """SageMaker rejected the CreateCompilationJob request."""


class _JsonFormatter(logging.Formatter):
    """One JSON object per line; fields passed with `extra={"fields": {...}}` are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "level": record.levelname,
            "timestamp": round(record.created, 3),
            "message": record.getMessage(),
            "logger": record.name,
            "request_id": _STATE.get("request_id"),
        }
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def _build_logger() -> logging.Logger:
    log = logging.getLogger("neo_compile")
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    log.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO")
    log.propagate = False  # the Lambda runtime's root handler would wrap our JSON in its own format
    if not log.handlers:
        stream = logging.StreamHandler(sys.stdout)
        stream.setFormatter(_JsonFormatter())
        log.addHandler(stream)
    return log


_STATE: dict = {"request_id": None}
LOGGER = _build_logger()


def make_client(**client_kwargs):
    """The SageMaker client (tests pass endpoint_url to aim it at moto, or wrap it in a Stubber).

    Standard retry mode: throttling, transient and 5xx errors are retried with jittered backoff, 5 attempts in all.
    """
    session = botocore.session.Session()
    return session.create_client(
        "sagemaker",
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 5},
            connect_timeout=3,
            read_timeout=20,
            tcp_keepalive=True,
        ),
        **client_kwargs,
    )


CLIENT = make_client()


# ------------------------------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Settings:
    bucket: str
    input_prefix: str
    output_prefix: str
    role_arn: str
    framework: str
    framework_version: str | None
    data_input_config: str | None
    target_device: str | None
    target_platform: dict | None
    compiler_options: str | None
    kms_key_id: str | None
    max_runtime: int
    job_name_prefix: str
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    eventbridge_keys_encoded: bool

    @property
    def target(self) -> str:
        """"ml_c5", or "LINUX/ARM64/NVIDIA" for a platform."""
        if self.target_device:
            return self.target_device
        platform = self.target_platform or {}
        return "/".join(str(platform[k]) for k in ("Os", "Arch", "Accelerator") if platform.get(k))


def _enum(shape: str) -> tuple[str, ...]:
    return tuple(CLIENT.meta.service_model.shape_for(shape).enum)


def _json_text(name: str, raw: str | None, errors: list[str], example: str) -> str | None:
    if raw is None or raw == "":
        return None
    try:
        json.loads(raw)
    except ValueError as err:
        errors.append(f"{name} ({raw!r}) is not valid JSON ({err}): e.g. {example}")
    return raw


def load_settings(env: dict | None = None) -> Settings:
    """Read and check the environment; Misconfigured lists every problem at once."""
    env = os.environ if env is None else env
    errors: list[str] = []

    def required(name: str) -> str:
        value = env.get(name, "")
        if not value:
            errors.append(f"{name} is required")
        return value

    bucket, input_prefix, output_prefix = required("BUCKET"), required("INPUT_PREFIX"), required("OUTPUT_PREFIX")
    role_arn = required("ROLE_ARN")
    framework = required("FRAMEWORK").upper()
    if framework and framework not in _enum("Framework"):
        errors.append(f"FRAMEWORK ({framework!r}) is not supported: use one of {', '.join(_enum('Framework'))}")
    device = env.get("TARGET_DEVICE") or None
    platform_raw = env.get("TARGET_PLATFORM") or None
    platform = None
    if device and platform_raw:
        errors.append("TARGET_DEVICE and TARGET_PLATFORM are both set: a compilation targets one of them; unset one")
    elif not device and not platform_raw:
        errors.append("one of TARGET_DEVICE (e.g. 'ml_c5') or TARGET_PLATFORM (JSON {\"Os\", \"Arch\"}) is required")
    if device and device not in _enum("TargetDevice"):
        errors.append(f"TARGET_DEVICE ({device!r}) is not a Neo target: use one of {', '.join(_enum('TargetDevice'))}")
    if platform_raw:
        try:
            platform = json.loads(platform_raw)
        except ValueError:
            platform = None
        if not isinstance(platform, dict) or not {"Os", "Arch"} <= set(platform) or not set(platform) <= {
            "Os", "Arch", "Accelerator"
        }:
            errors.append(
                f"TARGET_PLATFORM ({platform_raw!r}) must be JSON with Os, Arch and optionally Accelerator: "
                'e.g. {"Os": "LINUX", "Arch": "ARM64"}'
            )
            platform = None
        else:
            for key, shape in (("Os", "TargetPlatformOs"), ("Arch", "TargetPlatformArch"),
                               ("Accelerator", "TargetPlatformAccelerator")):
                if key in platform and platform[key] not in _enum(shape):
                    errors.append(f"TARGET_PLATFORM.{key} ({platform[key]!r}) must be one of {', '.join(_enum(shape))}")
    version = env.get("FRAMEWORK_VERSION") or None
    if version and framework and framework not in VERSIONED_FRAMEWORKS:
        errors.append(
            f"FRAMEWORK_VERSION ({version!r}) is set for {framework}: CreateCompilationJob accepts FrameworkVersion "
            f"only for {', '.join(VERSIONED_FRAMEWORKS)}; unset it"
        )
    data_input = _json_text("DATA_INPUT_CONFIG", env.get("DATA_INPUT_CONFIG"), errors, '{"data": [1, 5]}')
    options = _json_text("COMPILER_OPTIONS", env.get("COMPILER_OPTIONS"), errors, '{"dtype": "float32"}')
    try:
        max_runtime = int(env.get("MAX_RUNTIME_SECONDS") or DEFAULT_MAX_RUNTIME)
        if max_runtime < 1:
            raise ValueError
    except ValueError:
        errors.append(f"MAX_RUNTIME_SECONDS ({env.get('MAX_RUNTIME_SECONDS')!r}) must be a positive integer")
        max_runtime = DEFAULT_MAX_RUNTIME
    prefix = env.get("JOB_NAME_PREFIX") or DEFAULT_PREFIX
    if not (_PREFIX.match(prefix) and len(prefix) <= MAX_PREFIX):
        errors.append(
            f"JOB_NAME_PREFIX ({prefix!r}) must be at most {MAX_PREFIX} lower-case letters and digits with single "
            "hyphens"
        )
    subnets = tuple(s for s in (env.get("VPC_SUBNETS") or "").split(",") if s)
    groups = tuple(s for s in (env.get("VPC_SECURITY_GROUPS") or "").split(",") if s)
    if bool(subnets) != bool(groups):
        errors.append("VPC_SUBNETS and VPC_SECURITY_GROUPS go together: set both or neither")
    if errors:
        raise Misconfigured("; ".join(errors))
    return Settings(
        bucket=bucket,
        input_prefix=input_prefix,
        output_prefix=output_prefix,
        role_arn=role_arn,
        framework=framework,
        framework_version=version,
        data_input_config=data_input,
        target_device=device,
        target_platform=platform,
        compiler_options=options,
        kms_key_id=env.get("KMS_KEY_ID") or None,
        max_runtime=max_runtime,
        job_name_prefix=prefix,
        subnets=subnets,
        security_groups=groups,
        eventbridge_keys_encoded=(env.get("EVENTBRIDGE_KEYS_URL_ENCODED") or "true").lower() != "false",
    )


# ------------------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Artifact:
    bucket: str
    key: str
    version: str | None  # S3 version id, else ETag, else None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse(event: object, settings: Settings) -> Artifact:
    """The artifact an event names; InvalidInput otherwise."""
    if not isinstance(event, dict):
        raise InvalidInput(f"the event must be a JSON object, got {type(event).__name__}")
    detail = event.get("detail")
    if event.get("source") == "aws.s3" and isinstance(detail, dict):
        bucket = (detail.get("bucket") or {}).get("name")
        obj = detail.get("object") or {}
        key = obj.get("key")
        if not isinstance(bucket, str) or not isinstance(key, str):
            raise InvalidInput("the S3 event has no detail.bucket.name or detail.object.key")
        if settings.eventbridge_keys_encoded:
            key = unquote_plus(key)
        version = obj.get("version-id") or obj.get("etag")
    elif "s3_uri" in event:
        match = _S3_URI.match(str(event["s3_uri"]))
        if not match:
            raise InvalidInput(f"s3_uri ({event['s3_uri']!r}) must look like s3://<bucket>/<key>")
        bucket, key = match.groups()
        version = event.get("version_id")
    elif "key" in event:
        bucket, key, version = settings.bucket, event["key"], event.get("version_id")
    else:
        raise InvalidInput(
            'the event names no artifact: send {"key": "<input prefix>.../model.tar.gz"} or {"s3_uri": "s3://..."}, '
            "or an EventBridge S3 Object Created event"
        )
    if not isinstance(key, str) or (version is not None and not isinstance(version, str)):
        raise InvalidInput("key and version_id must be strings")
    artifact = Artifact(bucket, key, version)
    if bucket != settings.bucket:
        raise InvalidInput(f"bucket ({bucket!r}) is not the artifact bucket ({settings.bucket!r})")
    if not key.startswith(settings.input_prefix) or not key.endswith(".tar.gz"):
        raise InvalidInput(
            f"key ({key!r}) must be a .tar.gz object under {settings.input_prefix!r} (the compilation role reads "
            f"only there): e.g. '{settings.input_prefix}xgboost/model.tar.gz'"
        )
    if len(artifact.uri) > MAX_S3_URI:
        raise InvalidInput(f"the artifact URI is {len(artifact.uri)} characters; SageMaker accepts {MAX_S3_URI}")
    return artifact


# ------------------------------------------------------------------------------------------------- logic


def job_name(artifact: Artifact, settings: Settings) -> str:
    """Deterministic, lower-case, at most 63 characters: "<prefix>-<readable>-<digest>"."""
    identity = "\n".join(
        [
            artifact.bucket,
            artifact.key,
            artifact.version or "",
            settings.target,
            settings.framework,
            settings.framework_version or "",
            settings.data_input_config or "",
            settings.compiler_options or "",
        ]
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:DIGEST_CHARS]
    parts = artifact.key[: -len(".tar.gz")].split("/")
    stem = parts[-1]
    if stem in ("model", "") and len(parts) > 1:
        stem = parts[-2] or stem  # ".../xgboost/model.tar.gz" reads better as "xgboost"
    room = MAX_NAME - len(settings.job_name_prefix) - len(digest) - 2
    readable = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:room].strip("-")
    name = "-".join(p for p in (settings.job_name_prefix, readable, digest) if p)
    if not NAME_PATTERN.match(name):  # unreachable by construction; fail loudly rather than send a bad name
        raise Misconfigured(f"derived job name {name!r} is not a valid SageMaker name")
    return name


def build_request(artifact: Artifact, settings: Settings, name: str) -> dict:
    """The CreateCompilationJob request for one artifact."""
    input_config: dict = {"S3Uri": artifact.uri, "Framework": settings.framework}
    if settings.framework_version:
        input_config["FrameworkVersion"] = settings.framework_version
    if settings.data_input_config:
        input_config["DataInputConfig"] = settings.data_input_config
    output_config: dict = {"S3OutputLocation": f"s3://{settings.bucket}/{settings.output_prefix}{name}/"}
    if settings.target_device:
        output_config["TargetDevice"] = settings.target_device
    else:
        output_config["TargetPlatform"] = dict(settings.target_platform or {})
    if settings.compiler_options:
        output_config["CompilerOptions"] = settings.compiler_options
    if settings.kms_key_id:
        output_config["KmsKeyId"] = settings.kms_key_id
    request = {
        "CompilationJobName": name,
        "RoleArn": settings.role_arn,
        "InputConfig": input_config,
        "OutputConfig": output_config,
        "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime},
    }
    if settings.subnets:
        request["VpcConfig"] = {"Subnets": list(settings.subnets), "SecurityGroupIds": list(settings.security_groups)}
    return request


def _is_duplicate(err: ClientError) -> bool:
    error = err.response.get("Error", {})
    return error.get("Code") == "ResourceInUse" or (
        error.get("Code") == "ValidationException" and bool(_DUPLICATE_MESSAGE.search(error.get("Message", "")))
    )


def start(artifact: Artifact, settings: Settings) -> dict:
    """CreateCompilationJob; a job of the same name already existing is reported as a duplicate."""
    name = job_name(artifact, settings)
    request = build_request(artifact, settings, name)
    result = {
        "job_name": name,
        "job_arn": None,
        "status": "created",
        "artifact": artifact.uri,
        "output_location": request["OutputConfig"]["S3OutputLocation"],
        "target": settings.target,
    }
    try:
        result["job_arn"] = CLIENT.create_compilation_job(**request)["CompilationJobArn"]
    except ClientError as err:
        if not _is_duplicate(err):
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if 400 <= status < 500 and err.response.get("Error", {}).get("Code") not in ("ThrottlingException",):
                raise CompilationRejected(f"{err.response['Error'].get('Code')}: {err.response['Error'].get('Message')}")
            raise
        result["status"] = "duplicate"
        try:
            result["job_arn"] = CLIENT.describe_compilation_job(CompilationJobName=name)["CompilationJobArn"]
        except ClientError:
            pass  # the duplicate is what matters; the state machine stops here either way
    return result


def handler(event, context):
    """Lambda entry point: parse, validate, start one compilation job, return its name and status."""
    started = time.perf_counter()
    _STATE["request_id"] = getattr(context, "aws_request_id", None) or os.urandom(8).hex()
    settings = load_settings()
    try:
        artifact = parse(event, settings)
    except InvalidInput as err:
        LOGGER.warning("event rejected", extra={"fields": {"reason": str(err)}})
        raise
    result = start(artifact, settings)
    LOGGER.info(
        "compilation job " + result["status"],
        extra={"fields": {**result, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}},
    )
    return result
