"""Job names over arbitrary S3 keys (hypothesis): always valid for SageMaker, deterministic, distinct per object."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

from hypothesis import given, settings, strategies as st

from conftest_batch import batch_transform_trigger as bt, eventbridge_event, s3_event, s3_record

SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

# S3 keys are up to 1024 bytes of UTF-8; hypothesis' default text alphabet covers unicode, spaces and '+'.
keys = st.text(min_size=1, max_size=400) | st.text(alphabet="ab +/%é-_.", min_size=1, max_size=1024)
buckets = st.from_regex(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", fullmatch=True)
versions = st.none() | st.text(alphabet="abcdefABCDEF0123456789._", min_size=1, max_size=64)
prefixes = st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(prefix=prefixes, bucket=buckets, key=keys, version=versions)
def test_every_name_is_valid_and_deterministic(prefix: str, bucket: str, key: str, version: str | None) -> None:
    name = bt.job_name(prefix, bucket, key, version)
    assert SAGEMAKER_NAME.match(name), name
    assert len(name) <= 63
    assert name == name.lower()  # SageMaker lower-cases ARNs; IAM patterns match case-sensitively
    assert name == bt.job_name(prefix, bucket, key, version)
    assert name.startswith(bt.sanitize_prefix(prefix) + "-")


@settings(max_examples=100, deadline=None)
@given(bucket=buckets, objects=st.lists(st.tuples(keys, versions), min_size=2, max_size=30, unique=True))
def test_distinct_objects_get_distinct_names(bucket: str, objects: list[tuple[str, str | None]]) -> None:
    names = {bt.job_name("batch", bucket, key, version) for key, version in objects}
    assert len(names) == len(objects)


@settings(max_examples=50, deadline=None)
@given(key=keys)
def test_same_key_in_other_buckets_or_versions_differs(key: str) -> None:
    assert bt.job_name("p", "bucket-a", key, "v1") != bt.job_name("p", "bucket-b", key, "v1")
    assert bt.job_name("p", "bucket-a", key, "v1") != bt.job_name("p", "bucket-a", key, "v2")


@settings(max_examples=200, deadline=None)
@given(key=st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300))  # S3 keys are UTF-8
def test_encoded_keys_round_trip_through_both_event_shapes(key: str) -> None:
    (classic,) = bt.parse(s3_event(s3_record(key)))
    (bridge,) = bt.parse(eventbridge_event(key))
    assert classic.key == key == bridge.key
    assert s3_record(key)["s3"]["object"]["key"] == quote_plus(key, safe="/")


@given(prefix=prefixes)
def test_prefix_sanitising_is_idempotent(prefix: str) -> None:
    once = bt.sanitize_prefix(prefix)
    assert bt.sanitize_prefix(once) == once and 1 <= len(once) <= bt.MAX_PREFIX
