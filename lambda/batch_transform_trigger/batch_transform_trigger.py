"""S3 "object created" -> SageMaker CreateTransformJob: one batch transform job per uploaded input object.

Accepted event shapes (each object is handled on its own; one bad record never loses the others):

    EventBridge     {"source": "aws.s3", "detail-type": "Object Created", "detail": {"bucket": {"name"},
                    "object": {"key", "etag", "version-id", ...}}}                 (the BatchTransformPipeline route)
    S3 notification {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {...}}]}
    SQS-wrapped     {"Records": [{"eventSource": "aws:sqs", "body": "<any shape above, or an SNS envelope>"}]}
    SNS-wrapped     {"Records": [{"EventSource": "aws:SNS", "Sns": {"Message": "<any shape above>"}}]}

Key decoding. Classic S3 notifications (direct, SQS or SNS) carry URL-encoded keys ("red flower.jpg" arrives as
"red+flower.jpg"; AWS documents this), so they are always decoded with `unquote_plus`. AWS does not document the
encoding of `detail.object.key` in EventBridge events, and moto sends it raw; EVENTBRIDGE_KEYS_URL_ENCODED chooses.
The default ("true", decode) is the safer guess: decoding a raw key only goes wrong for keys that contain "+" or
"%", while not decoding an encoded key breaks every key with a space, a non-ASCII character or punctuation.

Idempotency (S3 and EventBridge deliver at least once). The job name is derived from bucket, key and version id
(else ETag, else sequencer): "<JOB_NAME_PREFIX>-<readable part of the file name>-<20 hex of SHA-256>", always
lower case (SageMaker lower-cases ARNs; IAM matches them case-sensitively), at most 63 characters and matching
SageMaker's `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`. A redelivered event yields the same name, and SageMaker refuses
a second job of that name (ResourceInUse, or a ValidationException saying the name "already exists" / "must be
unique"): that outcome is counted as `duplicate`, not as a failure. Distinct objects (or versions) get distinct
names. On an unversioned bucket, re-uploading identical bytes (same ETag) is treated as a redelivery.

Failures. Throttling and 5xx are retried inside the call by botocore's standard retry mode (client Config built at
import). A record that still fails (or whose request is invalid, e.g. an S3 URI over SageMaker's 1024 characters)
is sent by the handler itself to the dead-letter queue DLQ_URL as JSON: {"reason", "error": {"code", "message"},
"object", "job_name", "request", "replay_event", "request_id", "timestamp"}. `replay_event` is an event this
function accepts as-is: `aws lambda invoke --payload` it once the cause is fixed (idempotent by job name). The
handler returns a summary and does not raise for per-record failures, so the Lambda service does not retry
records that were already submitted; it raises only when a failed record could not be written to the DLQ either,
so that the asynchronous invocation's own retries and on-failure destination (the same queue) keep the event.
Malformed and non-S3 events are rejected with a WARNING log line and counted in the summary; they are not
replayable, so they do not go to the DLQ.

Filtering (skipped, logged at INFO): folder markers (keys ending in "/"), keys ending in one of IGNORE_SUFFIXES,
keys outside INPUT_PREFIX, and events other than object creation.

Environment:

    MODEL_NAME                    required: the SageMaker model the jobs run
    OUTPUT_S3_URI                 s3://bucket/prefix/ for results; each job writes under <OUTPUT_S3_URI><job name>/
    BUCKET, OUTPUT_PREFIX         alternative to OUTPUT_S3_URI: s3://<BUCKET>/<OUTPUT_PREFIX>
    KMS_KEY_ID                    KMS key (ARN or id) SageMaker encrypts the results with; default: none (bucket
                                  default encryption applies)
    INSTANCE_TYPE                 default "ml.m5.large"
    INSTANCE_COUNT                default 1
    SPLIT_TYPE                    None | Line | RecordIO | TFRecord; default "Line". With "Line", results are
                                  assembled line by line (AssembleWith=Line)
    BATCH_STRATEGY                MultiRecord | SingleRecord; default "MultiRecord"
    CONTENT_TYPE                  MIME type of the input; default "text/csv"
    ACCEPT                        MIME type of the output; default "text/csv"
    MAX_PAYLOAD_MB                0-100; default: SageMaker's (6)
    MAX_CONCURRENT_TRANSFORMS     default: SageMaker's
    JOIN_SOURCE                   Input | None; default: not sent (None)
    INPUT_FILTER, OUTPUT_FILTER   JSONPath expressions (at most 63 characters); default: not sent
    INPUT_PREFIX                  only keys under this prefix start jobs; default "" (all keys)
    IGNORE_SUFFIXES               comma-separated key suffixes to skip, e.g. ".tmp,.manifest"; default none
    JOB_NAME_PREFIX               lower-case, at most 24 characters; default "batch"
    DLQ_URL                       SQS queue URL for failed records; default: none (failures are only logged, and
                                  the handler raises so that the invocation's own retry/on-failure applies)
    EVENTBRIDGE_KEYS_URL_ENCODED  "true" (default) or "false": see "Key decoding" above
    LOG_LEVEL                     default INFO

Returns {"submitted", "duplicate", "skipped", "rejected", "failed", "jobs": [job names submitted or duplicate]}.
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

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
MAX_NAME = 63
MAX_PREFIX = 24
DIGEST_CHARS = 20  # 80 bits: a collision among a billion objects has odds of about 4e-7
DEFAULT_PREFIX = "batch"
SPLIT_TYPES = ("None", "Line", "RecordIO", "TFRecord")
BATCH_STRATEGIES = ("MultiRecord", "SingleRecord")
JOIN_SOURCES = ("Input", "None")
_DUPLICATE_MESSAGE = re.compile(r"already exist|must be unique", re.I)
MAX_S3_URI = 1024  # SageMaker's limit on S3Uri and S3OutputPath; botocore does not check maximum lengths
_MAX_DLQ_RECORD_CHARS = 200_000  # SQS accepts 256 KiB per message; the rest of the message is small


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
    log = logging.getLogger("batch_transform_trigger")
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


SERVICES = ("sagemaker", "sqs")


class _KnownServicesLoader(botocore.loaders.Loader):
    """botocore's model loader, minus the listing of every service it knows (about 440 directories) that it does
    before loading any model, just to check the name: this function only ever loads SERVICES, bundled with botocore.
    """

    def list_available_services(self, type_name):
        return list(SERVICES)


def make_client(service: str, **client_kwargs):
    """A botocore client for `service` (tests pass endpoint_url to point it at moto, or wrap it in a Stubber).

    A botocore session rather than `boto3.client`, as in invoke_endpoint: same client, without importing
    s3transfer. Standard retry mode: throttling, transient and 5xx errors are retried with jittered exponential
    backoff, up to 5 attempts in all, well inside the function's timeout.
    """
    session = botocore.session.Session()
    session.register_component("data_loader", _KnownServicesLoader())
    return session.create_client(
        service,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 5},
            connect_timeout=3,
            read_timeout=20,
            tcp_keepalive=True,
        ),
        **client_kwargs,
    )


SAGEMAKER = make_client("sagemaker")
SQS = make_client("sqs")


# ------------------------------------------------------------------------------------------------- configuration


class _Invalid(Exception):
    """A request that SageMaker is known to refuse."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Misconfigured(Exception):
    """The function's environment is invalid: every record fails (and goes to the DLQ) until it is fixed."""


@dataclass(frozen=True)
class Settings:
    model_name: str
    output_uri: str
    kms_key_id: str | None
    instance_type: str
    instance_count: int
    split_type: str
    batch_strategy: str
    content_type: str
    accept: str
    max_payload_mb: int | None
    max_concurrent_transforms: int | None
    join_source: str | None
    input_filter: str | None
    output_filter: str | None
    input_prefix: str
    ignore_suffixes: tuple[str, ...]
    job_name_prefix: str
    dlq_url: str | None
    eventbridge_keys_encoded: bool


def load_settings(env: dict | None = None) -> Settings:
    """Read and check the environment; raise Misconfigured naming every bad variable."""
    env = os.environ if env is None else env
    problems: list[str] = []

    def text(name: str, default: str | None = None) -> str | None:
        value = env.get(name)
        value = value.strip() if isinstance(value, str) else None
        return value or default

    def integer(name: str, low: int, high: int | None, default: int | None) -> int | None:
        raw = text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            problems.append(f"{name} ({raw!r}) is not an integer")
            return default
        if value < low or (high is not None and value > high):
            problems.append(f"{name} ({value}) must be between {low} and {high if high is not None else 'any'}")
        return value

    def choice(name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
        value = text(name, default)
        if value is not None and value not in allowed:
            problems.append(f"{name} ({value!r}) must be one of {', '.join(allowed)}")
        return value

    model_name = text("MODEL_NAME")
    if not model_name:
        problems.append("MODEL_NAME is not set")
    output_uri = text("OUTPUT_S3_URI")
    if output_uri is None and text("BUCKET"):
        output_uri = f"s3://{text('BUCKET')}/{text('OUTPUT_PREFIX', '') or ''}"
    if not output_uri or not output_uri.startswith("s3://") or len(output_uri) <= 5:
        problems.append("OUTPUT_S3_URI (or BUCKET and OUTPUT_PREFIX) must give an s3:// location for results")
        output_uri = output_uri or ""
    if not output_uri.endswith("/"):
        output_uri += "/"
    filters = {}
    for name in ("INPUT_FILTER", "OUTPUT_FILTER"):
        filters[name] = text(name)
        if filters[name] is not None and (len(filters[name]) > 63 or not filters[name].startswith("$")):
            problems.append(f"{name} ({filters[name]!r}) must be a JSONPath of at most 63 characters, e.g. '$[1:]'")
    encoded = (text("EVENTBRIDGE_KEYS_URL_ENCODED", "true") or "true").lower()
    if encoded not in ("true", "false"):
        problems.append(f"EVENTBRIDGE_KEYS_URL_ENCODED ({encoded!r}) must be 'true' or 'false'")

    settings = Settings(
        model_name=model_name or "",
        output_uri=output_uri,
        kms_key_id=text("KMS_KEY_ID"),
        instance_type=text("INSTANCE_TYPE", "ml.m5.large") or "ml.m5.large",
        instance_count=integer("INSTANCE_COUNT", 1, 100, 1) or 1,
        split_type=choice("SPLIT_TYPE", SPLIT_TYPES, "Line") or "Line",
        batch_strategy=choice("BATCH_STRATEGY", BATCH_STRATEGIES, "MultiRecord") or "MultiRecord",
        content_type=text("CONTENT_TYPE", "text/csv") or "text/csv",
        accept=text("ACCEPT", "text/csv") or "text/csv",
        max_payload_mb=integer("MAX_PAYLOAD_MB", 0, 100, None),
        max_concurrent_transforms=integer("MAX_CONCURRENT_TRANSFORMS", 1, None, None),
        join_source=choice("JOIN_SOURCE", JOIN_SOURCES, None),
        input_filter=filters["INPUT_FILTER"],
        output_filter=filters["OUTPUT_FILTER"],
        input_prefix=env.get("INPUT_PREFIX") or "",
        ignore_suffixes=tuple(s.strip() for s in (env.get("IGNORE_SUFFIXES") or "").split(",") if s.strip()),
        job_name_prefix=sanitize_prefix(text("JOB_NAME_PREFIX", DEFAULT_PREFIX) or DEFAULT_PREFIX),
        dlq_url=text("DLQ_URL"),
        eventbridge_keys_encoded=encoded != "false",
    )
    if problems:
        raise Misconfigured("; ".join(problems))
    return settings


# ------------------------------------------------------------------------------------------------------ job names


def sanitize_prefix(prefix: str) -> str:
    """Lower-case letters and digits with single hyphens, at most MAX_PREFIX characters; "batch" if nothing is left."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", str(prefix).lower())[:MAX_PREFIX].strip("-")
    return cleaned or DEFAULT_PREFIX


def job_name(prefix: str, bucket: str, key: str, version: str | None) -> str:
    """The deterministic transform job name of one object version (see the module docstring)."""
    prefix = sanitize_prefix(prefix)
    identity = "\x00".join((bucket, key, version or ""))
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST_CHARS]
    room = MAX_NAME - len(prefix) - len(digest) - 2  # two separating hyphens
    base = key.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = re.sub(r"[^a-z0-9]+", "-", base.lower())[:room].strip("-") if room > 1 else ""
    name = "-".join(part for part in (prefix, slug, digest) if part)
    assert NAME_PATTERN.match(name) and len(name) <= MAX_NAME, name
    return name


# ------------------------------------------------------------------------------------------------ event parsing


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    version: str | None  # version id, else ETag, else sequencer: what makes this upload distinct
    event_name: str
    replay_event: dict  # an event this function accepts, holding only this record

    def as_dict(self) -> dict:
        return {"bucket": self.bucket, "key": self.key, "version": self.version, "event": self.event_name}


@dataclass(frozen=True)
class Rejected:
    reason: str
    sample: str


def parse(event, settings_encoded: bool = True, depth: int = 0) -> list:
    """Flatten any accepted event shape into S3Object and Rejected items (never raises)."""
    if depth > 3:
        return [Rejected("event nested too deeply", _sample(event))]
    if isinstance(event, str):
        try:
            event = json.loads(event)
        except ValueError:
            return [Rejected("message body is not JSON", _sample(event))]
    if not isinstance(event, dict):
        return [Rejected("event is not a JSON object", _sample(event))]
    if "detail-type" in event or "detail" in event:
        return [_from_eventbridge(event, settings_encoded)]
    records = event.get("Records")
    if records is None:
        if event.get("Event") == "s3:TestEvent":
            return [Rejected("s3:TestEvent (sent once when a notification is configured)", "")]
        return [Rejected("neither an EventBridge event nor a Records list", _sample(event))]
    if not isinstance(records, list) or not records:
        return [Rejected("Records is empty or not a list", _sample(records))]
    items: list = []
    for record in records:
        items.extend(_from_record(record, settings_encoded, depth))
    return items


def _from_eventbridge(event: dict, encoded: bool):
    if event.get("source") != "aws.s3":
        return Rejected(f"EventBridge event from {str(event.get('source'))[:64]!r}, not aws.s3", _sample(event))
    detail_type = event.get("detail-type")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return Rejected("EventBridge event without a detail object", _sample(event))
    bucket = (detail.get("bucket") or {}).get("name") if isinstance(detail.get("bucket"), dict) else None
    obj = detail.get("object") if isinstance(detail.get("object"), dict) else {}
    key = obj.get("key")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        return Rejected("EventBridge S3 event without detail.bucket.name and detail.object.key", _sample(event))
    return S3Object(
        bucket=bucket,
        key=unquote_plus(key) if encoded else key,
        version=_version(obj.get("version-id"), obj.get("etag"), obj.get("sequencer")),
        event_name=str(detail_type),
        replay_event=event,
    )


def _from_record(record, encoded: bool, depth: int) -> list:
    if not isinstance(record, dict):
        return [Rejected("record is not a JSON object", _sample(record))]
    source = record.get("eventSource") or record.get("EventSource")
    if source == "aws:sqs":
        return parse(record.get("body"), encoded, depth + 1)
    if source == "aws:sns":
        sns = record.get("Sns") if isinstance(record.get("Sns"), dict) else {}
        return parse(sns.get("Message"), encoded, depth + 1)
    if source != "aws:s3":
        return [Rejected(f"record from {str(source)[:64]!r}, not aws:s3", _sample(record))]
    s3 = record.get("s3") if isinstance(record.get("s3"), dict) else {}
    bucket = s3.get("bucket", {}).get("name") if isinstance(s3.get("bucket"), dict) else None
    obj = s3.get("object") if isinstance(s3.get("object"), dict) else {}
    key = obj.get("key")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        return [Rejected("S3 record without s3.bucket.name and s3.object.key", _sample(record))]
    return [
        S3Object(
            bucket=bucket,
            key=unquote_plus(key),  # always URL-encoded in S3 notifications
            version=_version(obj.get("versionId"), obj.get("eTag"), obj.get("sequencer")),
            event_name=str(record.get("eventName") or ""),
            replay_event={"Records": [record]},
        )
    ]


def _version(version_id, etag, sequencer) -> str | None:
    for value in (version_id, etag, sequencer):
        if isinstance(value, str) and value and value != "null":
            return value.strip('"')
    return None


def _sample(value) -> str:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return text[:300]


# ------------------------------------------------------------------------------------------------------- request


def skip_reason(obj: S3Object, settings: Settings) -> str | None:
    """Why this object starts no job, or None."""
    if obj.event_name and not (obj.event_name == "Object Created" or obj.event_name.startswith("ObjectCreated")):
        return f"event {obj.event_name[:64]!r} is not an object creation"
    if obj.key.endswith("/"):
        return "folder marker"
    if settings.input_prefix and not obj.key.startswith(settings.input_prefix):
        return "outside INPUT_PREFIX"
    for suffix in settings.ignore_suffixes:
        if obj.key.endswith(suffix):
            return f"ignored suffix {suffix!r}"
    return None


def transform_request(obj: S3Object, name: str, settings: Settings) -> dict:
    """The CreateTransformJob parameters for one object."""
    transform_input = {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{obj.bucket}/{obj.key}"}},
        "ContentType": settings.content_type,
        "SplitType": settings.split_type,
    }
    transform_output = {"S3OutputPath": f"{settings.output_uri}{name}/", "Accept": settings.accept}
    if settings.split_type == "Line":
        transform_output["AssembleWith"] = "Line"
    if settings.kms_key_id:
        transform_output["KmsKeyId"] = settings.kms_key_id
    params = {
        "TransformJobName": name,
        "ModelName": settings.model_name,
        "BatchStrategy": settings.batch_strategy,
        "TransformInput": transform_input,
        "TransformOutput": transform_output,
        "TransformResources": {"InstanceType": settings.instance_type, "InstanceCount": settings.instance_count},
    }
    if settings.max_payload_mb is not None:
        params["MaxPayloadInMB"] = settings.max_payload_mb
    if settings.max_concurrent_transforms is not None:
        params["MaxConcurrentTransforms"] = settings.max_concurrent_transforms
    processing = {
        k: v
        for k, v in (
            ("JoinSource", settings.join_source),
            ("InputFilter", settings.input_filter),
            ("OutputFilter", settings.output_filter),
        )
        if v is not None
    }
    if processing:
        params["DataProcessing"] = processing
    return params


def is_duplicate(err: ClientError) -> bool:
    """SageMaker's answer to a second job of the same name (the name is our idempotency key)."""
    error = err.response.get("Error") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or "")
    return code in ("ResourceInUse", "ResourceInUseException") or (
        code in ("ValidationException", "ValidationError") and bool(_DUPLICATE_MESSAGE.search(message))
    )


# ------------------------------------------------------------------------------------------------------ handler


def handler(event, context):
    """Lambda entry point. Returns a summary; raises only when a failure could not be kept in the DLQ."""
    started = time.perf_counter()
    _STATE["request_id"] = getattr(context, "aws_request_id", None) or os.urandom(8).hex()
    summary = {"submitted": 0, "duplicate": 0, "skipped": 0, "rejected": 0, "failed": 0, "jobs": []}
    lost: list[str] = []
    settings: Settings | None = None
    config_error: str | None = None
    try:
        settings = load_settings()
    except Misconfigured as err:
        config_error = str(err)
        LOGGER.error("function misconfigured", extra={"fields": {"error": config_error}})
    encoded = settings.eventbridge_keys_encoded if settings else True

    for item in parse(event, encoded):
        if isinstance(item, Rejected):
            summary["rejected"] += 1
            LOGGER.warning("event rejected", extra={"fields": {"reason": item.reason, "sample": item.sample}})
            continue
        outcome = _process(item, settings, config_error, lost)
        summary[outcome[0]] += 1
        if outcome[1]:
            summary["jobs"].append(outcome[1])

    fields = {k: v for k, v in summary.items() if k != "jobs"}
    fields["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    LOGGER.info("event done", extra={"fields": fields})
    if lost:
        # Raising hands the whole event to the asynchronous invocation's retries and on-failure destination;
        # records already submitted come back as duplicates, so the retry is safe.
        raise RuntimeError(f"{len(lost)} failed record(s) could not be sent to the dead-letter queue: {lost[:5]}")
    return summary


def _process(obj: S3Object, settings: Settings | None, config_error: str | None, lost: list) -> tuple[str, str | None]:
    fields: dict = {"bucket": obj.bucket, "key": obj.key, "version": obj.version}
    if settings is None:
        _dead_letter(obj, None, None, "Misconfigured", config_error or "", None, lost)
        return "failed", None
    reason = skip_reason(obj, settings)
    if reason:
        LOGGER.info("object skipped", extra={"fields": {**fields, "reason": reason}})
        return "skipped", None
    name = job_name(settings.job_name_prefix, obj.bucket, obj.key, obj.version)
    fields["job_name"] = name
    params = transform_request(obj, name, settings)
    uri = params["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    try:
        if len(uri) > MAX_S3_URI:
            # Known in advance to fail: say why, rather than pass on SageMaker's generic ValidationException.
            raise _Invalid("S3UriTooLong", f"s3://bucket/key is {len(uri)} characters; SageMaker accepts at most "
                           f"{MAX_S3_URI}: use a shorter key")
        response = SAGEMAKER.create_transform_job(**params)
    except ClientError as err:
        if is_duplicate(err):
            LOGGER.info("job already submitted", extra={"fields": fields})
            return "duplicate", name
        error = err.response.get("Error") or {}
        code, message = str(error.get("Code") or "Unknown"), str(error.get("Message") or "")
    except _Invalid as err:
        code, message = err.code, str(err)
    except ParamValidationError as err:
        code, message = "ParamValidationError", str(err)
    except BotoCoreError as err:
        code, message = type(err).__name__, str(err)
    except Exception as err:  # a bug of ours must not lose the other records
        LOGGER.exception("unexpected error", extra={"fields": fields})
        code, message = type(err).__name__, str(err)
    else:
        fields["job_arn"] = response.get("TransformJobArn")
        LOGGER.info("transform job submitted", extra={"fields": fields})
        return "submitted", name
    LOGGER.error("transform job not submitted", extra={"fields": {**fields, "code": code, "error": message[:500]}})
    _dead_letter(obj, name, params, code, message, settings.dlq_url, lost)
    return "failed", None


def _dead_letter(
    obj: S3Object, name: str | None, params: dict | None, code: str, message: str, dlq_url: str | None, lost: list
) -> None:
    """Send one failed record, with what is needed to understand and replay it, to the dead-letter queue."""
    dlq_url = dlq_url or os.environ.get("DLQ_URL")
    body = {
        "reason": "CreateTransformJobFailed" if params is not None else "Misconfigured",
        "error": {"code": code, "message": message[:2000]},
        "object": obj.as_dict(),
        "job_name": name,
        "request": params,
        "replay_event": obj.replay_event,
        "request_id": _STATE.get("request_id"),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    text = json.dumps(body, default=str)
    if len(text) > _MAX_DLQ_RECORD_CHARS:
        body["replay_event"] = None
        body["replay_event_truncated"] = _sample(obj.replay_event)
        text = json.dumps(body, default=str)
    if not dlq_url:
        LOGGER.error("no DLQ_URL: failed record kept only in this log", extra={"fields": {"dead_letter": body}})
        lost.append(obj.key[:200])
        return
    try:
        SQS.send_message(QueueUrl=dlq_url, MessageBody=text)
    except (ClientError, BotoCoreError) as err:
        LOGGER.error(
            "could not send failed record to the DLQ", extra={"fields": {"dead_letter": body, "error": str(err)}}
        )
        lost.append(obj.key[:200])
