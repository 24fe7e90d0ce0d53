"""InvocationApi: template assertions for every prop and default, prop validation, cdk-nag, cfn-lint, snapshot.

One app with four stacks (defaults, every prop set, Cognito, API key) is synthesized once per module, through the
gating cdk-nag packs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from syrupy.extensions.json import JSONSnapshotExtension

import support
from sagemaker_cdk.inference.invocation_api import EndpointRef, InvocationApi

ENDPOINT_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn-endpoint"
WAF_ARN = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/api-acl/0123abcd-4567-89ef-0123-456789abcdef"
ENV = cdk.Environment(account="123456789012", region="eu-west-1")


@dataclass(frozen=True)
class StubEndpoint:
    endpoint_name: str = "churn-endpoint"
    endpoint_arn: str = ENDPOINT_ARN


def test_stub_satisfies_the_protocol() -> None:
    assert isinstance(StubEndpoint(), EndpointRef)


def _test_fixture_ack(scope: Any, finding: str) -> None:
    cdk.Validations.of(scope).acknowledge(
        cdk.Acknowledgment(id=finding, reason="test scaffolding around the construct under test, not part of it")
    )


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    app = support.new_app()
    built: dict[str, Any] = {}

    default_stack = cdk.Stack(app, "InvocationApiDefault", env=ENV)
    built["default"] = InvocationApi(default_stack, "Api", endpoint=StubEndpoint())
    caller = iam.Role(default_stack, "Caller", assumed_by=iam.AccountRootPrincipal())
    built["default"].grant_invoke(caller)
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):  # the caller is the test's own role, not the library's
        _test_fixture_ack(caller, f"{pack}::{pack}-IAMNoInlinePolicy")

    full_stack = cdk.Stack(app, "InvocationApiFull", env=ENV)
    key = kms.Key(full_stack, "LogsKey", enable_key_rotation=True)
    bucket_key = kms.Key(full_stack, "BucketKey", enable_key_rotation=True)
    inputs = s3.Bucket.from_bucket_attributes(
        full_stack, "Inputs", bucket_name="churn-inputs", encryption_key=bucket_key
    )
    built["full"] = InvocationApi(
        full_stack,
        "Api",
        endpoint=StubEndpoint(),
        async_input_bucket=inputs,
        async_input_prefix="batch/in/",
        throttle_rate_limit=100,
        throttle_burst_limit=40,
        allowed_content_types=["application/json", "text/csv", "application/x-npy"],
        memory_size=1024,
        timeout=cdk.Duration.seconds(65),
        reserved_concurrency=50,
        log_retention=logs.RetentionDays.THREE_MONTHS,
        waf_web_acl_arn=WAF_ARN,
        encryption_key=key,
    )

    cognito_stack = cdk.Stack(app, "InvocationApiCognito", env=ENV)
    pool = cognito.UserPool(cognito_stack, "Users")
    for finding in ("AwsSolutions-COG1", "AwsSolutions-COG2", "AwsSolutions-COG3", "AwsSolutions-COG8"):
        _test_fixture_ack(pool, f"AwsSolutions::{finding}")
    built["cognito"] = InvocationApi(
        cognito_stack, "Api", endpoint=StubEndpoint(), authorization="cognito", user_pool=pool
    )

    key_stack = cdk.Stack(app, "InvocationApiKey", env=ENV)
    in_stack_bucket = s3.Bucket(key_stack, "AsyncInputs", enforce_ssl=True)
    _test_fixture_ack(in_stack_bucket, "AwsSolutions::AwsSolutions-S1")
    for pack in ("HIPAA.Security", "NIST.800.53.R5"):  # a deliberately plain bucket: SSE-S3 inputs, no KMS grant
        for rule in ("S3BucketLoggingEnabled", "S3BucketPublicReadProhibited", "S3BucketPublicWriteProhibited",
                     "S3BucketReplicationEnabled", "S3BucketVersioningEnabled", "S3DefaultEncryptionKMS"):
            _test_fixture_ack(in_stack_bucket, f"{pack}::{pack}-{rule}")
    built["api_key"] = InvocationApi(
        key_stack, "Api", endpoint=StubEndpoint(), authorization="api_key", async_input_bucket=in_stack_bucket
    )

    assembly = support.synth_nag_clean(app)
    stacks = {"default": default_stack, "full": full_stack, "cognito": cognito_stack, "api_key": key_stack}
    templates = {name: support.template_of(assembly, stack.stack_name) for name, stack in stacks.items()}
    return {"built": built, "stacks": stacks, "templates": templates}


def tpl(synthesized: dict[str, Any], name: str) -> Template:
    return Template.from_json(synthesized["templates"][name])


def env_of(template: Template) -> dict[str, Any]:
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    return function["Properties"]["Environment"]["Variables"]


def policy_statements(template: Template) -> list[dict[str, Any]]:
    statements = []  # the library's roles hold customer-managed policies; the test's own caller role, inline ones
    for rtype in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
        for policy in template.find_resources(rtype).values():
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


# ------------------------------------------------------------------------------------------------------ defaults


def test_default_function(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Handler": "invoke_endpoint.handler",
            "Architectures": ["arm64"],
            "MemorySize": 512,
            "Timeout": 29,
            "TracingConfig": {"Mode": "Active"},
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": Match.any_value()},
        },
    )
    template.has_resource_properties("AWS::Lambda::Function", {"ReservedConcurrentExecutions": Match.absent()})
    assert env_of(template) == {
        "ENDPOINT_NAME": "churn-endpoint",
        "ALLOWED_CONTENT_TYPES": "application/json,text/csv",
        "LOG_LEVEL": "INFO",
        "SAGEMAKER_READ_TIMEOUT_SECONDS": "26",
    }


def test_default_log_groups_keep_a_year_encrypted_by_a_rotated_cmk(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(groups) == 2
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == 365
        key_id, attr = group["Properties"]["KmsKeyId"]["Fn::GetAtt"]
        assert "LogKey" in key_id and attr == "Arn"
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_default_stage(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"EndpointConfiguration": {"Types": ["REGIONAL"]}})
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "prod",
            "TracingEnabled": True,
            "AccessLogSetting": {
                "DestinationArn": Match.any_value(),
                "Format": Match.string_like_regexp('"requestId"'),
            },
            "MethodSettings": [
                {
                    "HttpMethod": "*",
                    "ResourcePath": "/*",
                    "LoggingLevel": "INFO",
                    "DataTraceEnabled": False,
                    "MetricsEnabled": True,
                    "ThrottlingRateLimit": 20,
                    "ThrottlingBurstLimit": 10,
                }
            ],
        },
    )
    stage = next(iter(template.find_resources("AWS::ApiGateway::Stage").values()))
    json.loads(stage["Properties"]["AccessLogSetting"]["Format"])  # access logs are JSON
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 0)
    template.resource_count_is("AWS::ApiGateway::UsagePlan", 0)


def test_default_route_is_iam_authorized_and_validated(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator", {"ValidateRequestBody": True, "ValidateRequestParameters": True}
    )
    template.resource_count_is("AWS::ApiGateway::Method", 1)
    template.has_resource_properties("AWS::ApiGateway::Resource", {"PathPart": "invocations"})
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "POST",
            "AuthorizationType": "AWS_IAM",
            "RequestValidatorId": Match.any_value(),
            "RequestParameters": {"method.request.header.Content-Type": True},
            "RequestModels": {"application/json": Match.any_value()},
            "Integration": {"Type": "AWS_PROXY", "TimeoutInMillis": 29000},
        },
    )
    template.resource_count_is("AWS::ApiGateway::Authorizer", 0)


def test_default_role_invokes_this_endpoint_only(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "default")
    statements = policy_statements(template)
    invoke = [s for s in statements if s.get("Sid") == "InvokeOneEndpoint"]
    assert invoke == [
        {
            "Sid": "InvokeOneEndpoint",
            "Effect": "Allow",
            "Action": "sagemaker:InvokeEndpoint",  # InvokeEndpointAsync only comes with the async route
            "Resource": ENDPOINT_ARN,
        }
    ]
    actions = json.dumps([s["Action"] for s in statements])
    assert "s3:" not in actions and "kms:" not in actions
    lambda_trust = {"Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole", "Effect": "Allow"}
    (role,) = template.find_resources(
        "AWS::IAM::Role", {"Properties": {"AssumeRolePolicyDocument": {"Statement": [lambda_trust]}}}
    ).values()
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWSLambdaBasicExecutionRole: writes to its own log group


def test_grant_invoke_scopes_execute_api_to_post_on_the_stage(synthesized: dict[str, Any]) -> None:
    statements = policy_statements(tpl(synthesized, "default"))
    (grant,) = [s for s in statements if s["Action"] == "execute-api:Invoke"]
    assert "/prod/POST/invocations" in json.dumps(grant["Resource"])


def test_metrics(synthesized: dict[str, Any]) -> None:
    api = synthesized["built"]["default"]
    assert (api.metric_5xx().metric_name, api.metric_5xx().statistic) == ("5XXError", "Sum")
    assert api.metric_4xx().metric_name == "4XXError"
    assert api.metric_count().metric_name == "Count"
    assert (api.metric_latency().metric_name, api.metric_latency().statistic) == ("Latency", "p99")
    assert api.metric_integration_latency().metric_name == "IntegrationLatency"
    assert api.metric_function_throttles().metric_name == "Throttles"
    assert api.metric_latency(statistic="p50").statistic == "p50"
    assert api.metric_5xx().period.to_seconds() == 300


def test_public_attributes(synthesized: dict[str, Any]) -> None:
    api = synthesized["built"]["default"]
    assert api.log_groups == [api.function_log_group, api.access_log_group]
    assert api.async_method is None and api.usage_plan is None and api.authorizer is None
    resolved = synthesized["stacks"]["default"].resolve(api.url)
    assert ".execute-api." in json.dumps(resolved) and "DeploymentStageprod" in json.dumps(resolved)


# --------------------------------------------------------------------------------------------- every prop set


def test_full_function(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "full")
    template.has_resource_properties(
        "AWS::Lambda::Function", {"MemorySize": 1024, "Timeout": 65, "ReservedConcurrentExecutions": 50}
    )
    assert env_of(template) == {
        "ENDPOINT_NAME": "churn-endpoint",
        "ALLOWED_CONTENT_TYPES": "application/json,text/csv,application/x-npy",
        "LOG_LEVEL": "INFO",
        "SAGEMAKER_READ_TIMEOUT_SECONDS": "62",
        "ASYNC_INPUT_BUCKET": "churn-inputs",
        "ASYNC_INPUT_PREFIX": "batch/in/",
    }


def test_full_timeout_above_29s_warns_about_the_quota(synthesized: dict[str, Any]) -> None:
    annotations = Annotations.from_stack(synthesized["stacks"]["full"])
    annotations.has_warning("/InvocationApiFull/Api", Match.string_like_regexp("Maximum integration timeout"))
    tpl(synthesized, "full").has_resource_properties(
        "AWS::ApiGateway::Method", {"Integration": {"TimeoutInMillis": 65000}}
    )


def test_full_stage_throttling_waf_and_binary_types(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "full")
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {"MethodSettings": [Match.object_like({"ThrottlingRateLimit": 100, "ThrottlingBurstLimit": 40})]},
    )
    template.has_resource_properties(
        "AWS::WAFv2::WebACLAssociation", {"WebACLArn": WAF_ARN, "ResourceArn": Match.any_value()}
    )
    template.has_resource_properties("AWS::ApiGateway::RestApi", {"BinaryMediaTypes": ["application/x-npy"]})


def test_full_log_groups_use_the_key_and_retention(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "full")
    for group in template.find_resources("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == 90
        assert "LogsKey" in json.dumps(group["Properties"]["KmsKeyId"])
    key_policy = json.dumps(template.find_resources("AWS::KMS::Key"))
    assert "logs.eu-west-1.amazonaws.com" in key_policy


def test_full_async_route_and_s3_read_on_the_prefix_only(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "full")
    template.resource_count_is("AWS::ApiGateway::Method", 2)
    template.has_resource_properties("AWS::ApiGateway::Resource", {"PathPart": "async-invocations"})
    template.has_resource_properties(
        "AWS::ApiGateway::Model",
        {"ContentType": "application/json", "Schema": Match.object_like({"required": ["input_location"]})},
    )
    statements = policy_statements(template)
    (read,) = [s for s in statements if s.get("Sid") == "ReadAsyncInputs"]
    assert read["Action"] == "s3:GetObject"
    assert read["Resource"] in (
        "arn:aws:s3:::churn-inputs/batch/in/*",
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::churn-inputs/batch/in/*"]]},
    )
    (decrypt,) = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert "BucketKey" in json.dumps(decrypt["Resource"])
    assert synthesized["built"]["full"].async_method is not None


# ---------------------------------------------------------------------------------------- other authorizations


def test_cognito_authorizer(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "cognito")
    template.has_resource_properties("AWS::ApiGateway::Authorizer", {"Type": "COGNITO_USER_POOLS"})
    template.has_resource_properties(
        "AWS::ApiGateway::Method", {"AuthorizationType": "COGNITO_USER_POOLS", "AuthorizerId": Match.any_value()}
    )


def test_api_key_usage_plan(synthesized: dict[str, Any]) -> None:
    template = tpl(synthesized, "api_key")
    template.has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "NONE", "ApiKeyRequired": True})
    template.has_resource_properties("AWS::ApiGateway::UsagePlan", {"Throttle": {"RateLimit": 20, "BurstLimit": 10}})
    template.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    template.resource_count_is("AWS::ApiGateway::UsagePlanKey", 1)


# ------------------------------------------------------------------------------------------- nag, lint, snapshot


def test_nag_clean(synthesized: dict[str, Any]) -> None:
    # The module fixture synthesized every variant through support.synth_nag_clean (AwsSolutions + Serverless).
    # Prove that gate is real: the same API with one acknowledgement missing must fail it.
    assert set(synthesized["templates"]) == {"default", "full", "cognito", "api_key"}
    app = support.new_app()
    stack = cdk.Stack(app, "Unacknowledged", env=ENV)
    bucket = s3.Bucket(stack, "AsyncInputs", enforce_ssl=True)  # the api_key fixture's bucket, unacknowledged
    InvocationApi(stack, "Api", endpoint=StubEndpoint(), authorization="api_key", async_input_bucket=bucket)
    with pytest.raises(support.NagFindings, match=r"AwsSolutions-S1"):
        support.synth_nag_clean(app)


@pytest.mark.parametrize("name", ["default", "full", "cognito", "api_key"])
def test_cfn_lint_clean(synthesized: dict[str, Any], name: str) -> None:
    assert support.lint(synthesized["templates"][name], name) == []


def test_snapshot(synthesized: dict[str, Any], snapshot: Any) -> None:
    scrubbed = support.scrub({name: synthesized["templates"][name] for name in ("default", "full")})
    assert scrubbed == snapshot(extension_class=JSONSnapshotExtension)


# ----------------------------------------------------------------------------------------------- bad props


def new_stack() -> cdk.Stack:
    return cdk.Stack(support.new_app(), "Bad", env=ENV)


@pytest.mark.parametrize(
    "props, match",
    [
        ({"authorization": "oauth"}, r"authorization \('oauth'\) is not supported: use one of 'iam'"),
        ({"authorization": "cognito"}, r"authorization \('cognito'\) needs a user pool: pass user_pool="),
        ({"async_input_prefix": "/inputs/"}, r"async_input_prefix \('/inputs/'\) must be .* ending with '/'"),
        ({"async_input_prefix": "inputs"}, r"async_input_prefix \('inputs'\)"),
        ({"throttle_rate_limit": 0}, r"throttle_rate_limit \(0\) must be between"),
        ({"throttle_burst_limit": -1}, r"throttle_burst_limit \(-1\) must be between 0 and 5000"),
        ({"memory_size": 64}, r"memory_size \(64\) must be between 128 and 10240"),
        ({"reserved_concurrency": 0}, r"reserved_concurrency \(0\) must be between 1 and 1000"),
        ({"allowed_content_types": []}, r"allowed_content_types is empty"),
        ({"allowed_content_types": ["csv"]}, r"allowed_content_types has 'csv', not a media type: use 'type/subtype'"),
        ({"timeout": cdk.Duration.seconds(2)}, r"timeout \(2 s\) must be between 5 and 900 seconds"),
        ({"timeout": cdk.Duration.minutes(20)}, r"timeout \(1200 s\) must be between 5 and 900"),
        ({"waf_web_acl_arn": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1"}, r"not a regional WAFv2"),
    ],
)
def test_bad_props_raise_value_error(props: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        InvocationApi(new_stack(), "Api", endpoint=StubEndpoint(), **props)


def test_user_pool_without_cognito_is_refused() -> None:
    stack = new_stack()
    pool = cognito.UserPool(stack, "Users")
    with pytest.raises(ValueError, match=r"user_pool is only used with authorization='cognito' \(got 'iam'\)"):
        InvocationApi(stack, "Api", endpoint=StubEndpoint(), user_pool=pool)


def test_every_error_is_reported_at_once() -> None:
    with pytest.raises(ValueError) as raised:
        InvocationApi(
            new_stack(),
            "Api",
            endpoint=StubEndpoint(),
            memory_size=1,
            reserved_concurrency=0,
            timeout=cdk.Duration.seconds(1),
        )
    message = str(raised.value)
    assert "memory_size (1)" in message and "reserved_concurrency (0)" in message and "timeout (1 s)" in message


def test_wrong_types_raise_type_error() -> None:
    with pytest.raises(TypeError, match=r"endpoint must be an EndpointRef \(an object with endpoint_arn and endpoint_name\), got object"):
        InvocationApi(new_stack(), "Api", endpoint=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"timeout must be an aws_cdk.Duration, got int 30: pass an aws_cdk.Duration"):
        InvocationApi(new_stack(), "Api", endpoint=StubEndpoint(), timeout=30)  # type: ignore[arg-type]


def test_tokens_are_not_validated() -> None:
    stack = new_stack()
    rate = cdk.CfnParameter(stack, "Rate", type="Number").value_as_number
    memory = cdk.CfnParameter(stack, "Memory", type="Number").value_as_number
    prefix = cdk.CfnParameter(stack, "Prefix").value_as_string
    bucket = s3.Bucket.from_bucket_name(stack, "Inputs", "inputs")
    api = InvocationApi(
        stack, "Api", endpoint=StubEndpoint(), throttle_rate_limit=rate, memory_size=memory,
        async_input_bucket=bucket, async_input_prefix=prefix,
    )
    assert api.function is not None


def test_burst_above_concurrency_warns() -> None:
    stack = new_stack()
    InvocationApi(stack, "Api", endpoint=StubEndpoint(), throttle_burst_limit=50, reserved_concurrency=5)
    Annotations.from_stack(stack).has_warning("/Bad/Api", Match.string_like_regexp("exceeds reserved_concurrency"))


def test_async_only_api_has_no_sync_route_and_no_invoke_endpoint() -> None:
    from aws_cdk import aws_s3 as s3

    stack = cdk.Stack(support.new_app(), "AsyncOnly", env=ENV)
    bucket = s3.Bucket(stack, "In", enforce_ssl=True)
    api = InvocationApi(stack, "Api", endpoint=StubEndpoint(), async_input_bucket=bucket, sync_route=False)
    template = Template.from_stack(stack)
    paths = [r["Properties"]["PathPart"] for r in template.find_resources("AWS::ApiGateway::Resource").values()]
    assert paths == ["async-invocations"]
    assert api.sync_method is None and api.async_method is not None
    policies = str(template.find_resources("AWS::IAM::ManagedPolicy"))
    assert "sagemaker:InvokeEndpointAsync" in policies and "'sagemaker:InvokeEndpoint'" not in policies
    with pytest.raises(ValueError, match=r"sync_route \(False\) without async_input_bucket leaves no route"):
        InvocationApi(stack, "None", endpoint=StubEndpoint(), sync_route=False)


def test_sets_the_account_logging_role_once_per_stack_and_retains_it() -> None:
    stack = cdk.Stack(support.new_app(), "Logging", env=ENV)
    first = InvocationApi(stack, "One", endpoint=StubEndpoint())
    second = InvocationApi(stack, "Two", endpoint=StubEndpoint())
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ApiGateway::Account", 1)
    assert first.account_logging is second.account_logging
    [role] = [r for k, r in template.find_resources("AWS::IAM::Role").items() if k.startswith("ApiGatewayAccountLogging")]
    assert role["DeletionPolicy"] == "Retain"
    assert "Policies" not in role["Properties"]  # customer-managed (HIPAA/NIST IAMNoInlinePolicy), retained too
    [policy] = [r for k, r in template.find_resources("AWS::IAM::ManagedPolicy").items()
                if k.startswith("ApiGatewayAccountLogging")]
    assert policy["DeletionPolicy"] == "Retain"
    assert policy["Properties"]["PolicyDocument"]["Statement"][0]["Resource"] == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:*"
    )
    stages = template.find_resources("AWS::ApiGateway::Stage")
    account_id = next(iter(template.find_resources("AWS::ApiGateway::Account")))
    assert all(account_id in stage.get("DependsOn", []) for stage in stages.values())
    off = InvocationApi(cdk.Stack(support.new_app(), "Off", env=ENV), "Api", endpoint=StubEndpoint(),
                        set_account_logging_role=False)
    assert off.account_logging is None
