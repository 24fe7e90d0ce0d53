"""labeling_manifest over real HTTP against a moto server: odd keys, non-data keys, re-runs, given manifests.

The handler's S3 client is aimed at the moto server, so botocore's serialisation (URL-encoding of keys with spaces,
'+' and unicode in ListObjectsV2, PutObject and GetObject) runs as in Lambda. Keys from EventBridge arrive
URL-encoded (as S3 notifications are); moto never encodes them, so the decoding is checked with explicit encodings.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import labeling_manifest as lm
from moto_server import FAKE_CREDENTIALS, reset

pytestmark = pytest.mark.integration

BUCKET = "labeling-bucket"
INPUT = "labeling/images/input/"
MANIFESTS = f"{INPUT}_labeling/manifests/"
ODD_KEYS = [
    f"{INPUT}cats/tabby cat.jpg",
    f"{INPUT}cats/a+b=c.JPG",
    f"{INPUT}dogs/chien-été 😀.png",
    f"{INPUT}dogs/100%25 real.jpeg",
    f"{INPUT}deep/nested/x.png",
]
NON_DATA_KEYS = [
    f"{INPUT}cats/",  # folder marker
    f"{INPUT}notes.txt",  # other type
    f"{INPUT}_labeling/template.liquid.html",  # our config
    f"{INPUT}_labeling/manifests/old.manifest",  # our manifests
    f"{INPUT}.hidden/x.jpg",
    f"{INPUT}manifests/user.manifest",
    "labeling/images/other/x.jpg",  # outside the prefix
]


@pytest.fixture
def s3(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    reset(moto_url)
    client = boto3.client("s3", endpoint_url=moto_url, **FAKE_CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    monkeypatch.setattr(lm, "_client", client)
    monkeypatch.setenv("BUCKET", BUCKET)
    monkeypatch.setenv("INPUT_PREFIX", INPUT)
    monkeypatch.setenv("MANIFEST_PREFIX", MANIFESTS)
    monkeypatch.setenv("DATA_EXTENSIONS", ".jpg,.jpeg,.png")
    monkeypatch.setenv("MIN_OBJECTS", "0")
    monkeypatch.delenv("SOURCE_FIELD", raising=False)
    return client


def _put(s3: Any, *keys: str, body: bytes = b"x") -> None:
    for key in keys:
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def _lines(s3: Any, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8")
    return [json.loads(line) for line in body.splitlines()]


def test_builds_one_source_ref_per_data_object_with_odd_keys_intact(s3: Any) -> None:
    _put(s3, *ODD_KEYS, *NON_DATA_KEYS)
    result = lm.handler({"job_name": "images-0f8fad5b"})
    key = f"{MANIFESTS}images-0f8fad5b.manifest"
    assert result == {"manifest_uri": f"s3://{BUCKET}/{key}", "objects": len(ODD_KEYS)}
    assert _lines(s3, key) == [{"source-ref": f"s3://{BUCKET}/{k}"} for k in sorted(ODD_KEYS)]


def test_rerun_for_the_same_job_rewrites_the_same_manifest(s3: Any) -> None:
    _put(s3, *ODD_KEYS)
    first = lm.handler({"job_name": "images-1"})
    body = s3.get_object(Bucket=BUCKET, Key=f"{MANIFESTS}images-1.manifest")["Body"].read()
    second = lm.handler({"job_name": "images-1"})
    assert first == second
    assert s3.get_object(Bucket=BUCKET, Key=f"{MANIFESTS}images-1.manifest")["Body"].read() == body
    # The manifests themselves never become data for the next run.
    third = lm.handler({"job_name": "images-2"})
    assert third["objects"] == len(ODD_KEYS)


def test_lists_beyond_one_page(s3: Any) -> None:
    keys = [f"{INPUT}bulk/{i:04d}.png" for i in range(1005)]
    _put(s3, *keys)
    assert lm.handler({"job_name": "bulk-1"})["objects"] == 1005


def test_text_task_types_inline_the_text(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_EXTENSIONS", ".txt")
    monkeypatch.setenv("SOURCE_FIELD", "source")
    s3.put_object(Bucket=BUCKET, Key=f"{INPUT}reviews/a b+c.txt", Body="Très bien 👍".encode())
    result = lm.handler({"job_name": "text-1"})
    assert _lines(s3, f"{MANIFESTS}text-1.manifest") == [{"source": "Très bien 👍"}]
    assert result["objects"] == 1


def test_empty_input_fails_with_a_named_error(s3: Any) -> None:
    _put(s3, *NON_DATA_KEYS)
    with pytest.raises(lm.EmptyDataset, match="upload data"):
        lm.handler({"job_name": "images-1"})


def test_automated_labeling_minimum_is_enforced(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIN_OBJECTS", "1250")
    _put(s3, *ODD_KEYS)
    with pytest.raises(lm.DatasetTooSmall, match="at least 1250 objects.*lists 5"):
        lm.handler({"job_name": "images-1"})


def test_given_manifest_from_eventbridge_is_decoded(s3: Any) -> None:
    key = f"{INPUT}manifests/batch 1+2 été.manifest"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"source-ref": "s3://b/x.jpg"}\n\n{"source-ref": "s3://b/y.jpg"}\n')
    result = lm.handler({"job_name": "images-1", "manifest_key": quote_plus(key, safe="/"), "encoded": True})
    assert result == {"manifest_uri": f"s3://{BUCKET}/{key}", "objects": 2}
    # An on-demand run passes the raw key.
    assert lm.handler({"job_name": "images-1", "manifest_key": key, "encoded": False}) == result


@pytest.mark.parametrize(
    "event, error",
    [
        ({"job_name": "Upper-Case"}, lm.InvalidInput),
        ({}, lm.InvalidInput),
        ({"job_name": "j", "manifest_key": "elsewhere/x.manifest"}, lm.InvalidInput),
        ({"job_name": "j", "manifest_key": f"{INPUT}../escape.manifest"}, lm.InvalidInput),
        ({"job_name": "j", "manifest_key": f"{INPUT}manifests/missing.manifest"}, lm.ManifestNotFound),
    ],
)
def test_bad_events_fail_with_named_errors(s3: Any, event: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        lm.handler(event)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\\"), min_size=1,
                    max_size=30).filter(lambda n: not n.startswith((".", "_")) and n.strip() == n and n))
def test_is_data_key_accepts_any_name_with_a_data_extension(name: str) -> None:
    assert lm.is_data_key(f"{INPUT}{name}.jpg", INPUT, (".jpg",))
    assert not lm.is_data_key(f"{INPUT}_labeling/{name}.jpg", INPUT, (".jpg",))
    assert not lm.is_data_key(f"{INPUT}{name}.jpg/", INPUT, (".jpg",))
