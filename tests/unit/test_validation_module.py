"""core/_validation, tested directly: exact messages, boundaries, and the TypeError/ValueError split.

These tests are also the ones `make mutation` runs against the module, so they pin every branch.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from sagemaker_cdk.core import _validation as v


def test_name_pattern_boundaries() -> None:
    assert v.NAME_PATTERN.match("a")
    assert v.NAME_PATTERN.match("a" * 63)
    assert not v.NAME_PATTERN.match("a" * 64)
    assert v.NAME_PATTERN.match("a--b")
    for bad in ("", "-a", "a-", "a_b", "a b", "a.b"):
        assert not v.NAME_PATTERN.match(bad), bad


def test_is_token() -> None:
    assert v.is_token(cdk.Token.as_string(cdk.Aws.REGION))
    assert v.is_token(cdk.Token.as_number(cdk.Aws.REGION))
    assert v.is_token(["x", cdk.Aws.ACCOUNT_ID])
    assert v.is_token(("x", cdk.Aws.ACCOUNT_ID))
    assert not v.is_token(["x", "y"])
    assert not v.is_token([])
    assert not v.is_token("plain")
    assert not v.is_token(3)
    assert not v.is_token(2.5)
    assert not v.is_token(True)
    assert not v.is_token(None)
    assert not v.is_token(float("inf"))


def test_prop_errors_collects_and_raises_once_with_every_message() -> None:
    errors = v.PropErrors("Thing T")
    assert errors.check(True, "never") is True
    assert errors.check(False, "first: fix it") is False
    errors.add("second: fix that")
    with pytest.raises(ValueError) as info:
        errors.raise_if_any()
    assert str(info.value) == "Thing T: invalid props:\n  - first: fix it\n  - second: fix that"


def test_prop_errors_without_messages_does_not_raise() -> None:
    v.PropErrors("Thing").raise_if_any()


def test_only_type_errors_raise_type_error_and_a_mix_raises_value_error() -> None:
    errors = v.PropErrors("T")
    assert errors.expect_type("size", "9", int, "an integer") is False
    with pytest.raises(TypeError, match=r"^T: invalid props:\n  - size must be an integer, got str '9'$"):
        errors.raise_if_any()
    errors.add("other: fix")
    with pytest.raises(ValueError):
        errors.raise_if_any()
    assert errors.type_errors == 1


def test_expect_type_treats_bool_as_its_own_type() -> None:
    errors = v.PropErrors("T")
    assert errors.expect_type("count", True, int, "an integer") is False
    assert errors.expect_type("flag", True, bool, "a bool") is True
    assert errors.expect_type("flag", False, (int, bool), "a bool") is True
    assert errors.expect_type("count", 3, (int, float), "a number") is True
    assert errors.messages == ["count must be an integer, got bool True"]


@pytest.mark.parametrize(
    "value, low, high, integer, message",
    [
        (5, 1, 10, False, None),
        (1, 1, 10, False, None),
        (10, 1, 10, False, None),
        (0, 1, 10, False, "n (0) must be between 1 and 10: set n between 1 and 10"),
        (11, 1, 10, False, "n (11) must be between 1 and 10: set n between 1 and 10"),
        (0, 1, None, False, "n (0) must be at least 1: set n at least 1"),
        (11, None, 10, False, "n (11) must be at most 10: set n at most 10"),
        (2.5, 1, 10, True, "n must be an integer, got float 2.5"),
        (2.5, 1, 10, False, None),
        ("3", 1, 10, False, "n must be a number, got str '3'"),
    ],
)
def test_number_in_range(value: object, low: float | None, high: float | None, integer: bool, message: str | None) -> None:
    errors = v.PropErrors("T")
    errors.number_in_range("n", value, low, high, integer=integer)
    assert errors.messages == ([message] if message else [])


def test_number_in_range_accepts_floats_by_default() -> None:
    errors = v.PropErrors("T")
    errors.number_in_range("n", 2.5, 1, 10)
    assert errors.messages == []


def test_number_in_range_skips_tokens() -> None:
    errors = v.PropErrors("T")
    errors.number_in_range("n", cdk.Token.as_number(cdk.Aws.ACCOUNT_ID), 1, 2)
    assert errors.messages == []


def test_name_check() -> None:
    errors = v.PropErrors("T")
    errors.name("name", None)
    errors.name("name", cdk.Aws.STACK_NAME)
    errors.name("name", "ok-name")
    assert errors.messages == []
    errors.name("name", "bad_name")
    errors.name("name", 7)
    assert errors.messages == [
        f"name ('bad_name') is not a valid SageMaker name: use {v.NAME_RULE}",
        "name must be a string, got int 7",
    ]


def test_one_of() -> None:
    errors = v.PropErrors("T")
    v.one_of(errors, "mode", None, ["a", "b"])
    v.one_of(errors, "mode", cdk.Aws.REGION, ["a", "b"])
    v.one_of(errors, "mode", "a", iter(["a", "b"]))
    assert errors.messages == []
    v.one_of(errors, "mode", "c", ["a", "b"])
    assert errors.messages == ["mode ('c') is not supported: use one of 'a', 'b'"]


@pytest.mark.parametrize(
    "inp, out, messages",
    [
        ("in/", "out/", []),
        ("batch/input/", "batch/output/", []),
        ("a/", "a/b/", ["input_prefix ('a/') and output_prefix ('a/b/') overlap: LOOP; use sibling prefixes such as "
                        "'ex/input/' and 'ex/output/'"]),
        ("a/b/", "a/", ["input_prefix ('a/b/') and output_prefix ('a/') overlap: LOOP; use sibling prefixes such as "
                        "'ex/input/' and 'ex/output/'"]),
        ("/in/", "out/", ["input_prefix ('/in/') must be a non-empty key prefix of letters, digits, '.', '_', '-' and "
                          "'/', without a leading '/' and ending with '/': e.g. 'ex/input/'"]),
        ("in", "out/", ["input_prefix ('in') must be a non-empty key prefix of letters, digits, '.', '_', '-' and "
                        "'/', without a leading '/' and ending with '/': e.g. 'ex/input/'"]),
        ("in/", "o//ut/", ["output_prefix ('o//ut/') must be a non-empty key prefix of letters, digits, '.', '_', '-' "
                           "and '/', without a leading '/' and ending with '/': e.g. 'ex/output/'"]),
        ("in/", 3, ["output_prefix must be a key prefix such as 'ex/input/', got int 3"]),
        ("a", "a/b/", ["input_prefix ('a') must be a non-empty key prefix of letters, digits, '.', '_', '-' and '/', "
                       "without a leading '/' and ending with '/': e.g. 'ex/input/'"]),  # no overlap message too
    ],
)
def test_io_prefixes(inp: object, out: object, messages: list[str]) -> None:
    errors = v.PropErrors("T")
    v.io_prefixes(errors, inp, out, example="ex", loop="LOOP")
    assert errors.messages == messages


def test_io_prefixes_skip_the_overlap_check_for_tokens() -> None:
    errors = v.PropErrors("T")
    v.io_prefixes(errors, cdk.Aws.STACK_NAME, "out/", example="ex", loop="LOOP")
    assert errors.messages == []


@pytest.mark.parametrize(
    "prefix, ok",
    [(None, True), ("a", True), ("a" * 24, True), ("a" * 25, False), ("a-b-1", True), ("a--b", False),
     ("A", False), ("-a", False), ("a-", False), ("a_b", False)],
)
def test_job_name_prefix(prefix: str | None, ok: bool) -> None:
    errors = v.PropErrors("T")
    v.job_name_prefix(errors, prefix, example="churn")
    if ok:
        assert errors.messages == []
    else:
        assert errors.messages == [
            f"job_name_prefix ({prefix!r}) must be at most 24 lower-case letters and digits with single hyphens, "
            "starting and ending alphanumeric (SageMaker ARNs are lower case): e.g. 'churn'"
        ]


def test_job_name_prefix_type_and_token() -> None:
    errors = v.PropErrors("T")
    v.job_name_prefix(errors, cdk.Aws.STACK_NAME, example="x")
    v.job_name_prefix(errors, 5, example="x")
    assert errors.messages == ["job_name_prefix must be a string, got int 5"]


def test_nag_resource_renders_like_cdk_nag() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    bucket = cdk.aws_s3.Bucket(stack, "B")
    logical = stack.get_logical_id(bucket.node.default_child)
    assert v.nag_resource(stack, bucket.bucket_arn) == f"<{logical}.Arn>"
    assert v.nag_resource(stack, bucket.bucket_name) == f"<{logical}>"
    assert v.nag_resource(stack, bucket.arn_for_objects("p/*")) == f"<{logical}.Arn>/p/*"
    assert v.nag_resource(stack, "plain") == "plain"
    assert v.nag_resource(stack, {"Fn::Sub": "a-${AWS::Region}"}) == "{'Fn::Sub': 'a-${AWS::Region}'}"


# -- acknowledge: one call, every scanner ----------------------------------------------------------------------------

REASON = "The queue carries failure records only."


def _queue_app() -> tuple[cdk.App, cdk.Stack, object]:
    from aws_cdk import aws_sqs as sqs

    app = cdk.App()
    stack = cdk.Stack(app, "Acks")
    return app, stack, sqs.Queue(stack, "Queue")


def _acknowledged(scope: object) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in scope.node.metadata:  # type: ignore[attr-defined]
        if entry.type == "aws:cdk:acknowledged-rules":
            found.update(entry.data)
    return found


def _checkov_skips(app: cdk.App) -> list[dict[str, str]]:
    template = app.synth().get_stack_by_name("Acks").template
    (queue,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    return queue.get("Metadata", {}).get("checkov", {}).get("skip", [])


@pytest.mark.parametrize("reason", ["", "x" * 19, "   " + "x" * 19 + "   ", None, 42])
def test_acknowledge_refuses_a_reason_a_reviewer_would_not_accept(reason: object) -> None:
    _, _, queue = _queue_app()
    with pytest.raises(ValueError) as raised:
        v.acknowledge(queue, "AwsSolutions-SQS3", reason)  # type: ignore[arg-type]
    assert str(raised.value) == (
        f"acknowledge('AwsSolutions-SQS3'): give a reason a reviewer would accept, got {reason!r}")
    assert _acknowledged(queue) == {}


def test_acknowledge_accepts_twenty_characters() -> None:
    _, _, queue = _queue_app()
    v.acknowledge(queue, "AwsSolutions-SQS3", "x" * 20)
    assert _acknowledged(queue) == {"AwsSolutions::AwsSolutions-SQS3": "x" * 20}


@pytest.mark.parametrize("finding, key", [
    ("AwsSolutions-IAM5[Resource::*]", "AwsSolutions::AwsSolutions-IAM5[Resource::*]"),
    # The pack is what precedes the FIRST hyphen: resource names in the granular suffix have hyphens of their own.
    ("AwsSolutions-IAM5[Resource::<ml-artifacts.Arn>/train-data/*]",
     "AwsSolutions::AwsSolutions-IAM5[Resource::<ml-artifacts.Arn>/train-data/*]"),
    ("HIPAA.Security-SQSQueueSSLRequestsOnly", "HIPAA.Security::HIPAA.Security-SQSQueueSSLRequestsOnly"),
    ("NIST.800.53.R5-SQSQueueSSLRequestsOnly", "NIST.800.53.R5::NIST.800.53.R5-SQSQueueSSLRequestsOnly"),
])
def test_acknowledge_writes_the_cdk_nag_acknowledgement_under_its_pack(finding: str, key: str) -> None:
    _, _, queue = _queue_app()
    v.acknowledge(queue, finding, REASON)
    assert _acknowledged(queue) == {key: REASON}


def test_a_mapped_rule_writes_the_checkov_skip_with_the_same_reason() -> None:
    app, _, queue = _queue_app()
    v.acknowledge(queue, "AwsSolutions-SQS2", REASON)
    assert _acknowledged(queue) == {"AwsSolutions::AwsSolutions-SQS2": REASON}
    assert _checkov_skips(app) == [{"id": "CKV_AWS_27", "comment": REASON}]


def test_a_checkov_id_writes_only_the_checkov_skip() -> None:
    app, _, queue = _queue_app()
    v.acknowledge(queue, "CKV_AWS_27", REASON)
    assert _acknowledged(queue) == {}
    assert _checkov_skips(app) == [{"id": "CKV_AWS_27", "comment": REASON}]


def _aspects(scope_for_ack: str) -> list[str]:
    app, stack, queue = _queue_app()
    v.acknowledge({"stack": stack, "queue": queue, "app": app}[scope_for_ack], "AwsSolutions-SQS3", REASON)
    return [type(aspect).__name__ for aspect in cdk.Aspects.of(stack).all if type(aspect).__name__ != "CheckovSkips"]


def test_acknowledging_in_a_stack_installs_the_managed_policy_aspect_once() -> None:
    # The stack's library roles keep their grants in customer-managed policies (core/_managed_policies.py).
    assert _aspects("stack") == ["ManagedRolePolicies"]
    assert _aspects("queue") == ["ManagedRolePolicies"]
    assert _aspects("app") == []  # outside any stack: nothing to install it on
