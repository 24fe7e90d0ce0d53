"""The constructs render the same secure template whatever feature flags the consuming app sets.

The consumer app (app_template.py, which uses every public construct) is synthesized twice in-process: with this
repository's cdk.json flags, and as a bare `cdk.App()` with no context at all. Both must be cdk-nag (AwsSolutions +
Serverless) and cfn-lint clean, and their security-relevant properties must be equal: encryption, public access,
bucket policies and ACLs, IAM, network settings and logging.

What legitimately differs between the two is normalized away, each for a stated reason:
- the order of actions and the grouping of statements in a policy (`@aws-cdk/aws-iam:minimizePolicies` merges
  statements): policies are compared as sets of (effect, principal, action, resource, condition);
- how a cross-stack reference is written (`@aws-cdk/core:defaultCrossStackReferences`: `Fn::GetStackOutput` or
  `Fn::ImportValue` of an export): both name the same output of the same resource;
- the form of an API Gateway access-log destination (`@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard`):
  both name the same log group.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import support

APP_TEMPLATE = Path(__file__).with_name("app_template.py")
ALL = "*"  # every property of the resource

# Resource type -> the properties that carry its security posture.
SECURITY_PROPERTIES: dict[str, tuple[str, ...] | str] = {
    "AWS::S3::Bucket": ("BucketEncryption", "PublicAccessBlockConfiguration", "AccessControl",
                        "LoggingConfiguration", "VersioningConfiguration", "OwnershipControls"),
    "AWS::S3::BucketPolicy": ("Bucket", "PolicyDocument"),
    "AWS::KMS::Key": ("EnableKeyRotation", "KeyPolicy"),
    "AWS::IAM::Role": ("AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns", "PermissionsBoundary"),
    "AWS::IAM::Policy": ("PolicyDocument", "Roles"),
    "AWS::IAM::ManagedPolicy": ("PolicyDocument", "Roles"),
    "AWS::SNS::Topic": ("KmsMasterKeyId",),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics"),
    "AWS::SQS::Queue": ("KmsMasterKeyId", "SqsManagedSseEnabled"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues"),
    "AWS::Lambda::Function": ("LoggingConfig", "VpcConfig", "TracingConfig", "KmsKeyArn", "Role",
                              "ReservedConcurrentExecutions"),
    "AWS::Lambda::Permission": ALL,
    "AWS::Logs::LogGroup": ("LogGroupName", "RetentionInDays", "KmsKeyId"),
    "AWS::EC2::VPC": ALL,
    "AWS::EC2::Subnet": ("MapPublicIpOnLaunch",),
    "AWS::EC2::SecurityGroup": ("SecurityGroupIngress", "SecurityGroupEgress", "VpcId"),
    "AWS::EC2::SecurityGroupIngress": ALL,
    "AWS::EC2::SecurityGroupEgress": ALL,
    "AWS::EC2::FlowLog": ALL,
    "AWS::EC2::VPCEndpoint": ("PolicyDocument", "PrivateDnsEnabled", "SecurityGroupIds", "VpcEndpointType"),
    "Custom::VpcRestrictDefaultSG": ALL,
    "AWS::SageMaker::Model": ("EnableNetworkIsolation", "VpcConfig", "ExecutionRoleArn"),
    "AWS::SageMaker::EndpointConfig": ("KmsKeyId", "DataCaptureConfig", "AsyncInferenceConfig"),
    "AWS::StepFunctions::StateMachine": ("LoggingConfiguration", "TracingConfiguration", "EncryptionConfiguration",
                                         "RoleArn"),
    "AWS::ApiGateway::RestApi": ("Policy", "EndpointConfiguration", "DisableExecuteApiEndpoint"),
    "AWS::ApiGateway::Stage": ("AccessLogSetting", "MethodSettings", "TracingEnabled"),
    "AWS::ApiGateway::Method": ("AuthorizationType", "AuthorizerId", "ApiKeyRequired", "AuthorizationScopes"),
    "AWS::CloudWatch::Alarm": ("ActionsEnabled", "AlarmActions"),
}
POLICY_PROPERTIES = {"PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument", "Policy"}
# "ChurnServing:ExportsOutputFnGetAttArtifacts80C0BB10Arn8A7526B3" / "PublishOutputFnGetAtt...Arn0617D303"
_OUTPUT_NAME = re.compile(r"^(?:[^:]*:)?(?:ExportsOutput|PublishOutput)(.*?)[0-9A-F]{8}$")


def load_app_template() -> ModuleType:
    spec = importlib.util.spec_from_file_location("consumer_app_template", APP_TEMPLATE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def both_ways() -> dict[str, Any]:
    """The consumer app synthesized with the repository's flags and with none (nag-checked both times)."""
    template = load_app_template()
    result: dict[str, Any] = {}
    for mode, flags in (("flags", True), ("bare", False)):
        app = support.new_app(flags=flags)
        stacks = template.build(app, support.ROOT / "models" / "xgboost")
        constructs = {type(c) for c in app.node.find_all()}
        assembly = support.synth_nag_clean(app)  # raises NagFindings on any unacknowledged finding
        result[mode] = {
            "templates": {key: assembly.get_stack_by_name(s.stack_name).template for key, s in stacks.items()},
            "construct_types": constructs,
        }
    return result


def _canon(value: Any) -> Any:
    """Cross-stack references written either way become the same placeholder; everything else is kept."""
    if isinstance(value, dict):
        if set(value) == {"Fn::ImportValue"} and isinstance(value["Fn::ImportValue"], str):
            return {"CrossStack": _OUTPUT_NAME.sub(r"\1", value["Fn::ImportValue"])}
        if set(value) == {"Fn::GetStackOutput"}:
            return {"CrossStack": _OUTPUT_NAME.sub(r"\1", value["Fn::GetStackOutput"]["OutputName"])}
        return {k: _canon(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canon(v) for v in value]
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(document: Any) -> list[str]:
    """A policy document as the sorted set of its (effect, principal, action, resource, condition) grants.

    Statements are split into one grant per principal, action and resource, so that two documents that allow the
    same things compare equal however their statements are grouped (and a repeated grant counts once).
    """
    grants = set()
    for statement in _as_list(document.get("Statement", [])):
        action_key = "Action" if "Action" in statement else "NotAction"
        resource_key = "Resource" if "Resource" in statement else "NotResource"
        principal = statement.get("Principal")
        principals = (
            [{kind: one} for kind, many in principal.items() for one in _as_list(many)]
            if isinstance(principal, dict) else [principal]
        )
        for who in principals:
            for action in _as_list(statement.get(action_key)):
                for resource in _as_list(statement.get(resource_key)):
                    grants.add(json.dumps({
                        "Effect": statement.get("Effect"),
                        "Principal": who,
                        action_key: action,
                        resource_key: resource,
                        "Condition": statement.get("Condition"),
                    }, sort_keys=True))
    return sorted(grants)


def _logical_ids(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if "Ref" in value and not value["Ref"].startswith("AWS::"):  # not a pseudo parameter
            found.append(value["Ref"])
        if "Fn::GetAtt" in value:
            found.append(value["Fn::GetAtt"][0])
        for v in value.values():
            found += _logical_ids(v)
    elif isinstance(value, list):
        for v in value:
            found += _logical_ids(v)
    return found


def security_view(template: dict[str, Any]) -> dict[str, Any]:
    """Logical id -> the security-relevant properties of every resource of a type in SECURITY_PROPERTIES."""
    view: dict[str, Any] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        wanted = SECURITY_PROPERTIES.get(resource["Type"])
        if wanted is None:
            continue
        properties = _canon(resource.get("Properties", {}))
        keys = sorted(properties) if wanted == ALL else wanted
        selected: dict[str, Any] = {"Type": resource["Type"]}
        for key in keys:
            if key not in properties:
                continue
            value = properties[key]
            if key in POLICY_PROPERTIES and isinstance(value, dict):
                value = _statements(value)
            elif key == "Policies":
                value = {p["PolicyName"]: _statements(p["PolicyDocument"]) for p in value}
            elif key == "AccessLogSetting":
                value = {**value, "DestinationArn": sorted(set(_logical_ids(value.get("DestinationArn"))))}
            selected[key] = value
        view[logical_id] = selected
    return view


def _differences(flags: dict[str, Any], bare: dict[str, Any]) -> list[str]:
    problems = []
    for logical_id in sorted(set(flags) | set(bare)):
        if logical_id not in bare:
            problems.append(f"{logical_id} ({flags[logical_id]['Type']}) exists only with the repository's flags")
        elif logical_id not in flags:
            problems.append(f"{logical_id} ({bare[logical_id]['Type']}) exists only without flags")
        else:
            for key in sorted(set(flags[logical_id]) | set(bare[logical_id])):
                if flags[logical_id].get(key) != bare[logical_id].get(key):
                    problems.append(
                        f"{logical_id}.{key}: with flags {json.dumps(flags[logical_id].get(key))[:300]}, "
                        f"without {json.dumps(bare[logical_id].get(key))[:300]}"
                    )
    return problems


def test_every_public_construct_is_used_by_the_consumer_app(both_ways: dict[str, Any]) -> None:
    import sagemaker_cdk
    from constructs import Construct

    public = {
        name: getattr(sagemaker_cdk, name) for name in sagemaker_cdk.__all__
        if inspect.isclass(getattr(sagemaker_cdk, name)) and issubclass(getattr(sagemaker_cdk, name), Construct)
    }
    assert public, "sagemaker_cdk exports no construct class"
    used = both_ways["flags"]["construct_types"]
    missing = sorted(name for name, cls in public.items() if not any(issubclass(t, cls) for t in used))
    assert missing == [], f"add these constructs to tests/consumer/app_template.py: {missing}"


@pytest.mark.parametrize("stack", ["serving", "training", "workspaces"])
def test_security_properties_do_not_depend_on_feature_flags(both_ways: dict[str, Any], stack: str) -> None:
    flags = security_view(both_ways["flags"]["templates"][stack])
    bare = security_view(both_ways["bare"]["templates"][stack])
    assert len(flags) > 20  # the view is not vacuous
    assert _differences(flags, bare) == []


@pytest.mark.parametrize("mode", ["flags", "bare"])
def test_no_legacy_log_delivery_acl(both_ways: dict[str, Any], mode: str) -> None:
    for template in both_ways[mode]["templates"].values():
        for logical_id, resource in template["Resources"].items():
            assert "AccessControl" not in resource.get("Properties", {}), logical_id


@pytest.mark.parametrize("mode", ["flags", "bare"])
def test_cfn_lint_clean(both_ways: dict[str, Any], mode: str) -> None:
    problems = [p for name, t in both_ways[mode]["templates"].items() for p in support.lint(t, f"{mode}:{name}")]
    assert problems == []
