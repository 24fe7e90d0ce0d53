"""labeling_manifest's contract, request by request: the exact S3 calls (botocore Stubber `expected_params`: listing,
the manifest's key, body and content type), the environment it reads and its defaults, and the exact errors the
state machine sees. Complements test_labeling_manifest.py (moto over HTTP).
"""

from __future__ import annotations

import io
import json
from typing import Any, Iterator
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber

import labeling_manifest as lm
from moto_server import FAKE_CREDENTIALS

BUCKET = "labeling-bucket"
INPUT = "labeling/images/input/"
MANIFESTS = f"{INPUT}_labeling/manifests/"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUCKET", BUCKET)
    monkeypatch.setenv("INPUT_PREFIX", INPUT)
    monkeypatch.setenv("MANIFEST_PREFIX", MANIFESTS)
    for name in ("DATA_EXTENSIONS", "MIN_OBJECTS", "SOURCE_FIELD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub(env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client("s3", **FAKE_CREDENTIALS)
    monkeypatch.setattr(lm, "_client", client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def listing(stubber: Stubber, *pages: list[str]) -> None:
    for i, keys in enumerate(pages):
        response: dict[str, Any] = {"Contents": [{"Key": k, "Size": 1} for k in keys], "KeyCount": len(keys)}
        params = {"Bucket": BUCKET, "Prefix": INPUT}
        if i:
            params["ContinuationToken"] = f"t{i}"
        if i < len(pages) - 1:
            response.update(IsTruncated=True, NextContinuationToken=f"t{i + 1}")
        stubber.add_response("list_objects_v2", response, params)


def put(stubber: Stubber, job: str, lines: list[dict[str, str]]) -> None:
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8")
    stubber.add_response("put_object", {}, {"Bucket": BUCKET, "Key": f"{MANIFESTS}{job}.manifest", "Body": body,
                                            "ContentType": "application/jsonlines"})


# -- the client ------------------------------------------------------------------------------------------------------
def test_the_client_is_s3_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lm, "_client", None)
    with mock.patch.object(lm.boto3, "client") as make:
        assert lm._s3() is make.return_value
        assert lm._s3() is make.return_value
    make.assert_called_once_with("s3")


# -- which keys are data ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "extensions", "expected"),
    [
        (f"{INPUT}a.jpg", (), True),
        (f"{INPUT}a", (), True),
        (f"{INPUT}sub/a.PNG", (".png",), True),
        (f"{INPUT}sub.png/a.txt", (".png",), False),  # the file's name decides, not a folder's
        (f"{INPUT}a.txt", (".jpg", ".png"), False),
        (f"{INPUT}a.jpgx", (".jpg",), False),
        (f"{INPUT}a.jpg ", (".jpg",), False),  # S3 keys may end in a space: that is not a .jpg
        (f"{INPUT}a.jpg\n", (".jpg",), False),
        (f"{INPUT}sub/", (), False),
        (f"{INPUT}_labeling/a.jpg", (), False),
        (f"{INPUT}sub/.thumbs/a.jpg", (), False),
        (f"{INPUT}sub/_tmp/a.jpg", (), False),
        (f"{INPUT}sub/a_b.jpg", (), True),
        (f"{INPUT}sub/a.b.jpg", (".jpg",), True),
        ("elsewhere/a.jpg", (), False),
        (f"x{INPUT}a.jpg", (), False),
        ("_labeling/input/a.jpg", (), False),
    ],
)
def test_is_data_key(key: str, extensions: tuple[str, ...], expected: bool) -> None:
    assert lm.is_data_key(key, INPUT, extensions) is expected


def test_a_prefix_underscore_does_not_hide_data_under_it() -> None:
    # Only path segments below the input prefix count: a prefix such as "_data/" still has data.
    assert lm.is_data_key("_data/in/a.jpg", "_data/in/", (".jpg",)) is True
    assert lm.is_data_key("data/in_/a.jpg", "data/in_", ()) is True


# -- environment -----------------------------------------------------------------------------------------------------
def test_config_reads_the_environment_and_normalises_extensions(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATA_EXTENSIONS", " .JPG, .png ,,")
    monkeypatch.setenv("MIN_OBJECTS", "10")
    assert lm._config() == (BUCKET, INPUT, MANIFESTS, (".jpg", ".png"), 10)


@pytest.mark.parametrize("min_objects", [None, ""])
def test_config_defaults_to_every_extension_and_no_minimum(env: None, monkeypatch: pytest.MonkeyPatch,
                                                          min_objects: str | None) -> None:
    if min_objects is not None:
        monkeypatch.setenv("MIN_OBJECTS", min_objects)
    monkeypatch.setenv("DATA_EXTENSIONS", "")
    assert lm._config() == (BUCKET, INPUT, MANIFESTS, (), 0)


# -- build mode, request by request ----------------------------------------------------------------------------------
def test_build_lists_every_page_and_writes_sorted_source_refs_as_json_lines(stub: Stubber) -> None:
    listing(stub, [f"{INPUT}b.jpg", f"{INPUT}_labeling/x.jpg"], [f"{INPUT}a é+b.jpg", f"{INPUT}c/"])
    put(stub, "job-1", [{"source-ref": f"s3://{BUCKET}/{INPUT}a é+b.jpg"},
                        {"source-ref": f"s3://{BUCKET}/{INPUT}b.jpg"}])
    assert lm.handler({"job_name": "job-1"}) == {"manifest_uri": f"s3://{BUCKET}/{MANIFESTS}job-1.manifest",
                                                 "objects": 2}


def test_a_listing_page_without_contents_is_empty(stub: Stubber) -> None:
    stub.add_response("list_objects_v2", {"KeyCount": 0}, {"Bucket": BUCKET, "Prefix": INPUT})
    with pytest.raises(lm.EmptyDataset) as raised:
        lm.handler({"job_name": "job-1"})
    assert str(raised.value) == f"no data objects under s3://{BUCKET}/{INPUT}: upload data before labeling"


def test_source_mode_inlines_each_objects_utf8_text(stub: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_FIELD", "source")
    listing(stub, [f"{INPUT}b.txt", f"{INPUT}a.txt"])
    for key, text in [(f"{INPUT}a.txt", "Très bien"), (f"{INPUT}b.txt", "二")]:
        stub.add_response("get_object", {"Body": io.BytesIO(text.encode("utf-8"))}, {"Bucket": BUCKET, "Key": key})
    put(stub, "text-1", [{"source": "Très bien"}, {"source": "二"}])
    assert lm.handler({"job_name": "text-1"})["objects"] == 2


def test_manifest_lines_keep_unicode_unescaped() -> None:
    assert lm.manifest_lines("b", ["k é.jpg"]) == '{"source-ref": "s3://b/k é.jpg"}\n'
    assert lm.manifest_lines("b", ["x", "y"], "source-ref") == (
        '{"source-ref": "s3://b/x"}\n{"source-ref": "s3://b/y"}\n')


def test_the_minimum_counts_the_listed_objects(stub: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIN_OBJECTS", "3")
    listing(stub, [f"{INPUT}a.jpg", f"{INPUT}b.jpg"])
    put(stub, "job-1", [{"source-ref": f"s3://{BUCKET}/{INPUT}a.jpg"}, {"source-ref": f"s3://{BUCKET}/{INPUT}b.jpg"}])
    with pytest.raises(lm.DatasetTooSmall) as raised:
        lm.handler({"job_name": "job-1"})
    assert str(raised.value) == (
        "automated data labeling needs at least 3 objects (Ground Truth's system minimum; 5,000 or more are "
        "recommended), the manifest lists 2: add data or turn automated labeling off")


def test_exactly_the_minimum_is_enough(stub: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIN_OBJECTS", "2")
    listing(stub, [f"{INPUT}a.jpg", f"{INPUT}b.jpg"])
    put(stub, "job-1", [{"source-ref": f"s3://{BUCKET}/{INPUT}a.jpg"}, {"source-ref": f"s3://{BUCKET}/{INPUT}b.jpg"}])
    assert lm.handler({"job_name": "job-1"})["objects"] == 2


# -- given mode ------------------------------------------------------------------------------------------------------
def test_a_given_manifest_is_read_and_its_non_blank_lines_counted(stub: Stubber) -> None:
    key = f"{INPUT}manifests/a b+c.manifest"
    body = b'{"source-ref": "s3://b/1"}\n  \n{"source-ref": "s3://b/2"}\n{"source-ref": "s3://b/3"}'
    stub.add_response("get_object", {"Body": io.BytesIO(body)}, {"Bucket": BUCKET, "Key": key})
    assert lm.handler({"job_name": "j", "manifest_key": key}) == {"manifest_uri": f"s3://{BUCKET}/{key}", "objects": 3}


def test_an_encoded_key_is_decoded_with_unquote_plus(stub: Stubber) -> None:
    key = f"{INPUT}manifests/a b+c.manifest"
    stub.add_response("get_object", {"Body": io.BytesIO(b"{}\n")}, {"Bucket": BUCKET, "Key": key})
    assert lm.handler({"job_name": "j", "manifest_key": f"{INPUT}manifests/a+b%2Bc.manifest", "encoded": True})[
        "manifest_uri"] == f"s3://{BUCKET}/{key}"


def test_an_unencoded_key_is_used_as_is(stub: Stubber) -> None:
    key = f"{INPUT}manifests/a+b%2Bc.manifest"
    stub.add_response("get_object", {"Body": io.BytesIO(b"{}\n")}, {"Bucket": BUCKET, "Key": key})
    assert lm.handler({"job_name": "j", "manifest_key": key})["objects"] == 1


def test_a_missing_manifest_names_its_uri(stub: Stubber) -> None:
    key = f"{INPUT}missing.manifest"
    stub.add_client_error("get_object", service_error_code="NoSuchKey", http_status_code=404,
                          expected_params={"Bucket": BUCKET, "Key": key})
    with pytest.raises(lm.ManifestNotFound) as raised:
        lm.handler({"job_name": "j", "manifest_key": key})
    assert str(raised.value) == f"s3://{BUCKET}/{key} does not exist"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_an_empty_given_manifest_is_an_empty_dataset(stub: Stubber) -> None:
    key = f"{INPUT}empty.manifest"
    stub.add_response("get_object", {"Body": io.BytesIO(b"\n \n")}, {"Bucket": BUCKET, "Key": key})
    with pytest.raises(lm.EmptyDataset):
        lm.handler({"job_name": "j", "manifest_key": key})


# -- bad events ------------------------------------------------------------------------------------------------------
# A trailing newline: `$` alone matches before it, and the name would reach the manifest key in S3.
@pytest.mark.parametrize("job_name", [None, 7, "", "-a", "a-", "a--b", "A", "a_b", "a" * 64, "images-1\n"])
def test_a_bad_job_name_is_named(env: None, job_name: Any) -> None:
    with pytest.raises(lm.InvalidInput) as raised:
        lm.handler({"job_name": job_name})
    assert str(raised.value) == f"job_name ({job_name!r}) must be a lower-case SageMaker job name"


@pytest.mark.parametrize("job_name", ["a", "a" * 63, "a-1-b", "0"])
def test_good_job_names_pass(stub: Stubber, job_name: str) -> None:
    listing(stub, [])
    with pytest.raises(lm.EmptyDataset):
        lm.handler({"job_name": job_name})


@pytest.mark.parametrize("event", [[], "job", None])
def test_a_non_object_event_is_invalid(env: None, event: Any) -> None:
    with pytest.raises(lm.InvalidInput) as raised:
        lm.handler(event)
    assert str(raised.value) == "the event must be a JSON object"


@pytest.mark.parametrize("key", ["", 5, []])
def test_a_manifest_key_must_be_a_non_empty_string(env: None, key: Any) -> None:
    with pytest.raises(lm.InvalidInput) as raised:
        lm.handler({"job_name": "j", "manifest_key": key})
    assert str(raised.value) == "manifest_key must be a non-empty string"


@pytest.mark.parametrize("key", ["elsewhere/x.manifest", f"{INPUT}a/../../x.manifest", f"{INPUT}..",
                                 f"labeling/images/input%2Fx.manifest"])
def test_a_manifest_key_outside_the_prefix_is_named(env: None, key: str) -> None:
    with pytest.raises(lm.InvalidInput) as raised:
        lm.handler({"job_name": "j", "manifest_key": key})
    assert str(raised.value) == f"manifest_key ({key!r}) must be under the input prefix {INPUT!r}"


def test_the_prefix_is_checked_after_decoding(env: None) -> None:
    with pytest.raises(lm.InvalidInput, match=r"manifest_key \('labeling/images/input/\.\./x'\)"):
        lm.handler({"job_name": "j", "manifest_key": "labeling%2Fimages%2Finput%2F..%2Fx", "encoded": True})


def test_dots_inside_a_name_are_fine(stub: Stubber) -> None:
    key = f"{INPUT}a..b.manifest"
    stub.add_response("get_object", {"Body": io.BytesIO(b"{}\n")}, {"Bucket": BUCKET, "Key": key})
    assert lm.handler({"job_name": "j", "manifest_key": key})["objects"] == 1
