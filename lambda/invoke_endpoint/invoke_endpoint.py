"""API Gateway (REST, Lambda proxy) -> SageMaker runtime: invoke one real-time endpoint, sync or async.

Routes (the path convention mirrors SageMaker runtime's own URIs):

    POST /invocations         synchronous InvokeEndpoint. The request body is the model payload, sent as-is.
    POST /async-invocations   InvokeEndpointAsync. The body is JSON: {"input_location": "s3://bucket/key"}
                              (or a key relative to ASYNC_INPUT_PREFIX), optionally "content_type", "accept",
                              "inference_id", "request_ttl_seconds", "invocation_timeout_seconds". Answers 202 with
                              {"inference_id", "output_location", "failure_location"}.

Request headers (case-insensitive) and query parameters:

    Content-Type                          must be in ALLOWED_CONTENT_TYPES (parameters such as charset are ignored
                                          for the check and passed through to the model)
    Accept                                passed through
    X-Target-Variant or ?variant=         TargetVariant (pin a production variant, e.g. to test a challenger)
    X-Inference-Id                        InferenceId
    X-Amzn-SageMaker-Custom-Attributes    CustomAttributes (also passed back in the response)

Response headers: Content-Type of the model's answer, X-Invoked-Production-Variant, X-Amzn-SageMaker-Custom-Attributes
when the model set them, X-Request-Id (the Lambda request id, also in every log line).

Errors are JSON, {"error": {"code", "message", "request_id"}}:

    400  bad request (empty body, broken base64, invalid JSON, JSON nested too deeply, SageMaker ValidationError)
    403  async input location outside ASYNC_INPUT_BUCKET / ASYNC_INPUT_PREFIX
    413  body over 6 MB (SageMaker's real-time limit): use async inference
    415  content type not allowed
    4xx  the model answered 4xx (ModelError): passed through, with the model's message
    502  the model failed (ModelError 5xx: original_status_code, original_message, log_stream_arn in the body),
         SageMaker failed, or the call timed out
    503  endpoint throttled or not ready (ModelNotReadyException, ServiceUnavailable, throttling): Retry-After is set

Environment:

    ENDPOINT_NAME                     required
    ALLOWED_CONTENT_TYPES             comma-separated; default "application/json,text/csv"
    ASYNC_INPUT_BUCKET                bucket holding async inputs; the async route answers 404 without it
    ASYNC_INPUT_PREFIX                key prefix inside it; default "async-input/"
    SAGEMAKER_READ_TIMEOUT_SECONDS    default 70: above SageMaker's 60-second model limit. The InvocationApi construct
                                      sets it just below the Lambda timeout so a slow model yields a clean 502.
    LOG_LEVEL                         default INFO

Imports stay light (botocore and stdlib modules it loads anyway): the module is imported on every cold start.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import sys
import time

import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    ParamValidationError,
    ReadTimeoutError,
)

MAX_SYNC_BODY_BYTES = 6_291_456  # SageMaker InvokeEndpoint's Body limit (6 MiB)
DEFAULT_CONTENT_TYPES = "application/json,text/csv"
DEFAULT_ASYNC_PREFIX = "async-input/"
READ_TIMEOUT_SECONDS = float(os.environ.get("SAGEMAKER_READ_TIMEOUT_SECONDS") or 70)
# A retry is only started when it can run a full read timeout before Lambda stops us; margin for the reply itself.
DEADLINE_MARGIN_SECONDS = 0.5

_THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)
# Seconds a client should wait before retrying, per SageMaker error code.
_RETRY_AFTER = {"ModelNotReadyException": "5", "ServiceUnavailable": "5"}
_RETRY_AFTER_THROTTLED = "1"


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
    log = logging.getLogger("invoke_endpoint")
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    log.setLevel(level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO")
    log.propagate = False  # the Lambda runtime's root handler would wrap our JSON in its own format
    if not log.handlers:
        stream = logging.StreamHandler(sys.stdout)
        stream.setFormatter(_JsonFormatter())
        log.addHandler(stream)
    return log


LOGGER = _build_logger()


class _DeadlineExceeded(Exception):
    """Raised before a retry that could not finish before the Lambda timeout."""


# Per-invocation state. A Lambda execution environment runs one invocation at a time.
_STATE: dict = {"deadline": None, "attempts": 0, "request_id": None}


def _check_deadline(**_kwargs) -> None:
    """botocore `before-send` hook: refuse a retry whose read timeout would outlive the function."""
    _STATE["attempts"] += 1
    deadline = _STATE["deadline"]
    if _STATE["attempts"] > 1 and deadline is not None:
        if time.monotonic() + READ_TIMEOUT_SECONDS + DEADLINE_MARGIN_SECONDS > deadline:
            raise _DeadlineExceeded("not enough time left for another attempt")


class _PlainEndpointsFileLoader(botocore.loaders.JSONFileLoader):
    """botocore's JSON file loader, except that `endpoints.json` is parsed into plain dicts.

    botocore parses every data file with `object_pairs_hook=OrderedDict`, which takes the JSON decoder off its C
    fast path: for the 1.25 MB `endpoints.json` that is about 17 ms of each cold start, twice what a plain parse
    costs. Plain dicts keep key order too, and the endpoint resolver only reads the data. Service models, which the
    client's serializers walk, still load through botocore's own code.
    """

    def load_file(self, file_path):
        if os.path.basename(file_path) == "endpoints":
            try:
                with open(file_path + ".json", "rb") as fp:
                    return json.loads(fp.read())
            except FileNotFoundError:
                pass  # not a plain .json here (e.g. a compressed copy): botocore's own loader finds it
        return super().load_file(file_path)


class _OneServiceLoader(botocore.loaders.Loader):
    """botocore's model loader, minus work this function does not need.

    Before loading any model, botocore lists every service it knows (about 440 directories, two stat calls each) just
    to check the name: half of client creation, paid on every cold start. This function loads one service, whose
    model ships with botocore, so the listing is that service alone. Everything else is botocore's own loader.
    """

    FILE_LOADER_CLASS = _PlainEndpointsFileLoader

    def list_available_services(self, type_name):
        return ["sagemaker-runtime"]


def make_client(**client_kwargs):
    """The SageMaker runtime client used by the handler (tests pass endpoint_url to point it at moto).

    A botocore session rather than `boto3.client`: the client is the same class, but `import boto3` also imports
    s3transfer (about a third of boto3's import time), which this function never uses. Credentials, region and
    AWS_ENDPOINT_URL come from the environment exactly as with boto3.
    """
    session = botocore.session.Session()
    session.register_component("data_loader", _OneServiceLoader())
    client = session.create_client(
        "sagemaker-runtime",
        config=Config(
            # botocore's `max_attempts` counts retries: up to 4 attempts. Throttling and 5xx retry with jittered
            # backoff; read timeouts too, but only while _check_deadline sees time for a full one.
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=2,
            read_timeout=READ_TIMEOUT_SECONDS,
            tcp_keepalive=True,
        ),
        **client_kwargs,
    )
    client.meta.events.register("before-send.sagemaker-runtime", _check_deadline)
    return client


CLIENT = make_client()


class HttpError(Exception):
    """An error answered to the caller as {"error": {...}} with `status`."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None, **details) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details


# --------------------------------------------------------------------------------------------------------- handler


def handler(event, context):
    """Lambda entry point. Never raises: every outcome is an API Gateway proxy response."""
    started = time.perf_counter()
    request_id = _request_id(event, context)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    try:
        _STATE["deadline"] = time.monotonic() + remaining() / 1000 if callable(remaining) else None
    except Exception:  # a context double without a usable clock: no deadline
        _STATE["deadline"] = None
    _STATE["attempts"] = 0
    _STATE["request_id"] = request_id
    fields: dict = {}
    try:
        response = _route(event, fields)
    except HttpError as err:
        response = _error(err, request_id)
    except Exception:  # a bug of ours: log it, answer without details
        LOGGER.exception("unhandled error", extra={"fields": fields})
        response = _error(HttpError(500, "InternalError", "internal error"), request_id)
    response["headers"]["X-Request-Id"] = request_id
    fields["status"] = response["statusCode"]
    fields["latency_ms"] = round((time.perf_counter() - started) * 1000, 2)
    if response["statusCode"] >= 500:
        LOGGER.warning("request failed", extra={"fields": fields})
    else:
        LOGGER.info("request done", extra={"fields": fields})
    return response


def _route(event, fields: dict) -> dict:
    if not isinstance(event, dict):
        raise HttpError(400, "BadRequest", "event is not an API Gateway proxy event")
    endpoint_name = os.environ.get("ENDPOINT_NAME")
    if not endpoint_name:
        raise HttpError(500, "Misconfigured", "ENDPOINT_NAME is not set on the function")
    fields["endpoint"] = endpoint_name
    method = event.get("httpMethod")
    if method is not None and method != "POST":
        raise HttpError(405, "MethodNotAllowed", "use POST", {"Allow": "POST"})
    path = event.get("resource") or event.get("path")
    if path is None or not isinstance(path, str):
        path = "/invocations"
    path = path.rstrip("/")
    if path.endswith("/async-invocations") or path == "async-invocations":
        fields["route"] = "async"
        return _invoke_async(event, endpoint_name, _headers(event), fields)
    if path.endswith("/invocations") or path == "invocations" or path == "":
        fields["route"] = "sync"
        return _invoke_sync(event, endpoint_name, _headers(event), fields)
    raise HttpError(404, "NotFound", "use POST /invocations or POST /async-invocations")


# ------------------------------------------------------------------------------------------------------ sync route


def _invoke_sync(event: dict, endpoint_name: str, headers: dict, fields: dict) -> dict:
    content_type = _allowed_content_type(headers)
    body = _body_bytes(event)
    if len(body) > MAX_SYNC_BODY_BYTES:
        raise HttpError(
            413,
            "PayloadTooLarge",
            f"body is {len(body)} bytes, over SageMaker's real-time limit of {MAX_SYNC_BODY_BYTES}: upload the "
            "payload to S3 and use POST /async-invocations (asynchronous inference) instead",
        )
    if _media_type(content_type) == "application/json":
        _parse_json(body, "body is not valid JSON but Content-Type is application/json")

    params = {"EndpointName": endpoint_name, "Body": body, "ContentType": content_type}
    params.update(_passthrough(event, headers))
    if "TargetVariant" in params:
        fields["target_variant"] = params["TargetVariant"]
    result = _call(CLIENT.invoke_endpoint, params)

    payload = result["Body"].read()
    out_headers = {"Content-Type": result.get("ContentType") or "application/octet-stream"}
    if result.get("InvokedProductionVariant"):
        out_headers["X-Invoked-Production-Variant"] = result["InvokedProductionVariant"]
        fields["variant"] = result["InvokedProductionVariant"]
    if result.get("CustomAttributes"):
        out_headers["X-Amzn-SageMaker-Custom-Attributes"] = result["CustomAttributes"]
    try:
        text, is_b64 = payload.decode("utf-8"), False
    except UnicodeDecodeError:  # binary answer: API Gateway needs binaryMediaTypes to return it as bytes
        text, is_b64 = base64.b64encode(payload).decode("ascii"), True
    return {"statusCode": 200, "headers": out_headers, "body": text, "isBase64Encoded": is_b64}


def _allowed_content_type(headers: dict) -> str:
    content_type = headers.get("content-type")
    allowed = {
        t.strip().lower()
        for t in (os.environ.get("ALLOWED_CONTENT_TYPES") or DEFAULT_CONTENT_TYPES).split(",")
        if t.strip()
    }
    if not content_type:
        raise HttpError(415, "UnsupportedMediaType", f"Content-Type is required; allowed: {', '.join(sorted(allowed))}")
    if _media_type(content_type) not in allowed:
        raise HttpError(
            415,
            "UnsupportedMediaType",
            f"Content-Type {content_type[:100]!r} is not allowed; allowed: {', '.join(sorted(allowed))}",
        )
    return content_type


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _body_bytes(event: dict) -> bytes:
    body = event.get("body")
    if body is None or body == "":
        raise HttpError(400, "EmptyBody", "request body is empty")
    if not isinstance(body, str):
        raise HttpError(400, "BadRequest", "body must be a string")
    flag = event.get("isBase64Encoded")
    if flag is True or (isinstance(flag, str) and flag.lower() == "true"):
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise HttpError(400, "InvalidBase64", "isBase64Encoded is true but the body is not valid base64") from None
    else:
        try:
            data = body.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates cannot be sent
            raise HttpError(400, "BadRequest", "body is not valid UTF-8 text") from None
    if not data:
        raise HttpError(400, "EmptyBody", "request body is empty")
    return data


def _passthrough(event: dict, headers: dict) -> dict:
    """Optional InvokeEndpoint/InvokeEndpointAsync parameters taken from headers and the query string."""
    params = {}
    query = event.get("queryStringParameters")
    variant = headers.get("x-target-variant") or (
        query.get("variant") if isinstance(query, dict) and isinstance(query.get("variant"), str) else None
    )
    if variant:
        params["TargetVariant"] = variant
    for header, param in (
        ("accept", "Accept"),
        ("x-inference-id", "InferenceId"),
        ("x-amzn-sagemaker-custom-attributes", "CustomAttributes"),
    ):
        if headers.get(header):
            params[param] = headers[header]
    for param, value in params.items():
        # These become HTTP headers to SageMaker: printable ASCII only, within SageMaker's largest limit (1024).
        if len(value) > 1024 or not value.isascii() or not value.isprintable():
            raise HttpError(400, "BadRequest", f"{param} must be printable ASCII of at most 1024 characters")
    return params


# ----------------------------------------------------------------------------------------------------- async route


def _invoke_async(event: dict, endpoint_name: str, headers: dict, fields: dict) -> dict:
    bucket = os.environ.get("ASYNC_INPUT_BUCKET")
    prefix = os.environ.get("ASYNC_INPUT_PREFIX", DEFAULT_ASYNC_PREFIX)
    if not bucket:
        raise HttpError(404, "AsyncNotConfigured", "asynchronous inference is not configured for this API")
    raw = _body_bytes(event)
    request = _parse_json(raw, "body must be JSON: {\"input_location\": \"s3://bucket/key\"}")
    if not isinstance(request, dict) or not isinstance(request.get("input_location"), str):
        raise HttpError(400, "BadRequest", "body must be JSON: {\"input_location\": \"s3://bucket/key\"}")
    location = _input_location(request["input_location"], bucket, prefix)

    params = {"EndpointName": endpoint_name, "InputLocation": location}
    passthrough = _passthrough(event, headers)
    passthrough.pop("TargetVariant", None)  # not an InvokeEndpointAsync parameter
    params.update(passthrough)
    for key, param in (("content_type", "ContentType"), ("accept", "Accept"), ("inference_id", "InferenceId")):
        value = request.get(key)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise HttpError(400, "BadRequest", f"{key} must be a non-empty string")
            params[param] = value
    for key, param in (
        ("request_ttl_seconds", "RequestTTLSeconds"),
        ("invocation_timeout_seconds", "InvocationTimeoutSeconds"),
    ):
        value = request.get(key)
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool):
                raise HttpError(400, "BadRequest", f"{key} must be an integer")
            params[param] = value
    fields["input_location"] = location
    result = _call(CLIENT.invoke_endpoint_async, params)
    body = {
        "inference_id": result.get("InferenceId"),
        "output_location": result.get("OutputLocation"),
        "failure_location": result.get("FailureLocation"),
    }
    return {
        "statusCode": 202,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _input_location(value: str, bucket: str, prefix: str) -> str:
    """Resolve `value` to s3://bucket/key and check it is inside the configured bucket and prefix."""
    if value.startswith("s3://"):
        loc_bucket, _, key = value[5:].partition("/")
        if loc_bucket != bucket:
            raise HttpError(403, "Forbidden", f"input_location must be in s3://{bucket}/{prefix}")
    elif "://" in value:
        raise HttpError(400, "BadRequest", "input_location must be s3://bucket/key or a key relative to the prefix")
    else:
        key = prefix + value
    if not key.startswith(prefix) or key == prefix or ".." in key.split("/") or key.endswith("/"):
        raise HttpError(403, "Forbidden", f"input_location must name an object under s3://{bucket}/{prefix}")
    if len(key) > 1000:
        raise HttpError(400, "BadRequest", "input_location is too long")
    return f"s3://{bucket}/{key}"


# ------------------------------------------------------------------------------------------------- SageMaker call


def _call(operation, params: dict) -> dict:
    """Call SageMaker and turn its errors into HttpError (the table in the module docstring)."""
    try:
        return operation(**params)
    except ClientError as err:
        raise _client_error(err) from None
    except _DeadlineExceeded:
        raise HttpError(502, "UpstreamTimeout", "the endpoint did not answer before the function timeout") from None
    except ParamValidationError as err:
        raise HttpError(400, "ValidationError", str(err)[:500]) from None
    except (ReadTimeoutError, ConnectTimeoutError):
        raise HttpError(502, "UpstreamTimeout", "the endpoint did not answer in time") from None
    except BotoCoreError:
        LOGGER.warning("SageMaker call failed", exc_info=True)  # the traceback goes to logs, never to the caller
        raise HttpError(502, "UpstreamError", "could not reach SageMaker") from None


def _client_error(err: ClientError) -> HttpError:
    error = err.response.get("Error") or {}
    code = str(error.get("Code") or "Unknown")
    message = str(error.get("Message") or code)
    if code == "ValidationError":
        return HttpError(400, code, message)
    if code == "ModelError":
        original = err.response.get("OriginalStatusCode")
        details = {
            "original_status_code": original,
            "original_message": err.response.get("OriginalMessage"),
            "log_stream_arn": err.response.get("LogStreamArn"),
        }
        status = original if isinstance(original, int) and 400 <= original < 500 else 502
        return HttpError(status, code, "the model returned an error", **details)
    if code in _RETRY_AFTER:
        return HttpError(503, code, message, {"Retry-After": _RETRY_AFTER[code]})
    if code in _THROTTLING_CODES:
        return HttpError(503, code, message, {"Retry-After": _RETRY_AFTER_THROTTLED})
    LOGGER.warning("SageMaker error", extra={"fields": {"code": code, "error_message": message}})
    return HttpError(502, code, message)


# ---------------------------------------------------------------------------------------------------------- utils


def _headers(event: dict) -> dict:
    """Lower-cased header names; single-value `headers` win over `multiValueHeaders` (API Gateway sends both)."""
    merged: dict = {}
    multi = event.get("multiValueHeaders")
    if isinstance(multi, dict):
        for name, values in multi.items():
            if isinstance(name, str) and isinstance(values, list) and values and isinstance(values[-1], str):
                merged[name.lower()] = values[-1]
    single = event.get("headers")
    if isinstance(single, dict):
        for name, value in single.items():
            if isinstance(name, str) and isinstance(value, str):
                merged[name.lower()] = value
    return merged


def _request_id(event, context) -> str:
    request_id = getattr(context, "aws_request_id", None)
    if not isinstance(request_id, str) and isinstance(event, dict):
        ctx = event.get("requestContext")
        request_id = ctx.get("requestId") if isinstance(ctx, dict) else None
    if not isinstance(request_id, str) or not request_id:
        request_id = os.urandom(16).hex()
    return request_id


def _parse_json(body: bytes, invalid_message: str) -> object:
    """json.loads, with every decoding failure answered 400 (never a 500 the client can trigger at will)."""
    try:
        return json.loads(body)
    except RecursionError:
        # json's C decoder recurses once per nesting level: a body like [[[[... about a thousand levels deep
        # exhausts the interpreter's stack. It is the client's input, not our bug.
        raise HttpError(
            400,
            "JsonTooDeep",
            "body is nested too deeply to decode as JSON: send a document with fewer levels of nested arrays "
            "and objects",
        ) from None
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "InvalidJson", invalid_message) from None


def _error(err: HttpError, request_id: str) -> dict:
    error = {"code": err.code, "message": err.message, "request_id": request_id}
    error.update(err.details)
    return {
        "statusCode": err.status,
        "headers": {"Content-Type": "application/json", **err.headers},
        "body": json.dumps({"error": error}),
        "isBase64Encoded": False,
    }
