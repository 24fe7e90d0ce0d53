"""Resolve the input manifest of one Ground Truth labeling job run (called by the LabelingJob state machine).

Two modes, chosen by the event:
- build (no "manifest_key"): list every data object under INPUT_PREFIX and write a JSON Lines manifest, one
  {"source-ref": "s3://<bucket>/<key>"} per object, to "<MANIFEST_PREFIX><job_name>.manifest". Keys are written raw
  (S3 listings are not URL-encoded), so spaces, '+' and unicode survive. Objects are skipped when they are not data:
  "folder" markers (keys ending in '/'), anything under a path segment starting with '_' or '.' (this construct's
  own config and manifests live under "_labeling/"), and extensions outside DATA_EXTENSIONS (when set).
  Idempotent: the listing is sorted and the key depends only on the job name, so a retry rewrites the same object
  with the same lines.
- given ("manifest_key"): check a manifest the user put under INPUT_PREFIX. Keys that come from S3 events through
  EventBridge are URL-encoded (set "encoded": true): they are decoded with unquote_plus first.

Either way the handler counts the manifest's objects and fails with DatasetTooSmall when automated data labeling is
on and the dataset is below MIN_OBJECTS (Ground Truth's system minimum), or with EmptyDataset when there is nothing to
label. Returns {"manifest_uri": "s3://...", "objects": <count>}.

Environment: BUCKET, INPUT_PREFIX, MANIFEST_PREFIX, DATA_EXTENSIONS (comma-separated, lower case, e.g. ".jpg,.png";
empty = every extension), MIN_OBJECTS (0 = no minimum), SOURCE_FIELD ("source-ref", the default: lines reference
the objects; "source": lines carry each object's UTF-8 text inline, as Ground Truth's text task types read it).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterable
from urllib.parse import unquote_plus

import boto3

JOB_NAME = re.compile(r"^[a-z0-9](-?[a-z0-9])*$")


class InvalidInput(Exception):
    """The execution input names a manifest outside the input prefix, or a bad job name."""


class ManifestNotFound(Exception):
    """The given manifest does not exist."""


class EmptyDataset(Exception):
    """Nothing to label."""


class DatasetTooSmall(Exception):
    """Automated data labeling needs at least MIN_OBJECTS objects."""


_client = None


def _s3() -> Any:
    global _client
    if _client is None:
        _client = boto3.client("s3")
    return _client


def is_data_key(key: str, input_prefix: str, extensions: tuple[str, ...]) -> bool:
    """True for an object that should be labeled: not a folder marker, hidden or underscore path, or other type."""
    if not key.startswith(input_prefix) or key.endswith("/"):
        return False
    relative = key[len(input_prefix):]
    if any(part.startswith(("_", ".")) for part in relative.split("/")):
        return False
    if extensions:
        name = relative.rsplit("/", 1)[-1].lower()
        return any(name.endswith(ext) for ext in extensions)
    return True


def data_keys(bucket: str, input_prefix: str, extensions: tuple[str, ...]) -> list[str]:
    paginator = _s3().get_paginator("list_objects_v2")
    keys: list[str] = []
    for page in paginator.paginate(Bucket=bucket, Prefix=input_prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []) if is_data_key(o["Key"], input_prefix, extensions))
    return sorted(keys)


def manifest_lines(bucket: str, keys: Iterable[str], field: str = "source-ref") -> str:
    lines = []
    for key in keys:
        if field == "source":
            text = _s3().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            line = {"source": text}
        else:
            line = {"source-ref": f"s3://{bucket}/{key}"}
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
    return "".join(lines)


def _config() -> tuple[str, str, str, tuple[str, ...], int]:
    extensions = tuple(e.strip().lower() for e in os.environ.get("DATA_EXTENSIONS", "").split(",") if e.strip())
    return (
        os.environ["BUCKET"],
        os.environ["INPUT_PREFIX"],
        os.environ["MANIFEST_PREFIX"],
        extensions,
        int(os.environ.get("MIN_OBJECTS", "0") or 0),
    )


def _count_given(bucket: str, key: str) -> int:
    try:
        body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    except _s3().exceptions.NoSuchKey:
        raise ManifestNotFound(f"s3://{bucket}/{key} does not exist") from None
    return sum(1 for line in body.decode("utf-8").splitlines() if line.strip())


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    bucket, input_prefix, manifest_prefix, extensions, min_objects = _config()
    if not isinstance(event, dict):
        raise InvalidInput("the event must be a JSON object")
    job_name = event.get("job_name")
    if not isinstance(job_name, str) or not JOB_NAME.fullmatch(job_name) or len(job_name) > 63:
        raise InvalidInput(f"job_name ({job_name!r}) must be a lower-case SageMaker job name")
    key = event.get("manifest_key")
    if key is not None:
        if not isinstance(key, str) or not key:
            raise InvalidInput("manifest_key must be a non-empty string")
        if event.get("encoded"):
            key = unquote_plus(key)
        if not key.startswith(input_prefix) or ".." in key.split("/"):
            raise InvalidInput(f"manifest_key ({key!r}) must be under the input prefix {input_prefix!r}")
        count = _count_given(bucket, key)
    else:
        keys = data_keys(bucket, input_prefix, extensions)
        count = len(keys)
        key = f"{manifest_prefix}{job_name}.manifest"
        if count:
            _s3().put_object(
                Bucket=bucket,
                Key=key,
                Body=manifest_lines(bucket, keys, os.environ.get("SOURCE_FIELD", "source-ref")).encode("utf-8"),
                ContentType="application/jsonlines",
            )
    if count == 0:
        raise EmptyDataset(f"no data objects under s3://{bucket}/{input_prefix}: upload data before labeling")
    if min_objects and count < min_objects:
        raise DatasetTooSmall(
            f"automated data labeling needs at least {min_objects} objects (Ground Truth's system minimum; 5,000 or "
            f"more are recommended), the manifest lists {count}: add data or turn automated labeling off"
        )
    return {"manifest_uri": f"s3://{bucket}/{key}", "objects": count}
