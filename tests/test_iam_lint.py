"""IAM lint: policies checked against AWS's IAM data (parliament), tokens resolved to the right shapes first.

Every stack that goes through `support.synth_nag_clean` is IAM-linted there (each construct's test stack, and the
reference app through the session fixture); these tests pin the checker's own behaviour.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam

import iam_lint
import support
from iam_lint import ACCOUNT, ALLOWED, GATED, Resolver, gating, lint_template


def _policy(*statements: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    resources = {
        "Policy": {
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyName": "p",
                "Roles": ["r"],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
            },
        },
        **(extra or {}),
    }
    return {"Resources": resources}


def _issues(template: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f.issue, f.detail) for f in lint_template(template) if f.issue not in iam_lint.REPORTED]


# --- the reference app -----------------------------------------------------------------------------------------
def test_reference_app_has_no_gating_finding(reference_assembly: Any) -> None:
    assembly, names = reference_assembly
    stacks = {name: assembly.get_stack_by_name(name).template for name in names.values()}
    assert iam_lint.check_templates(stacks) == []
    # Every statement was resolved and analysed: the only findings left are allowed or report-only.
    everything = [f for name, t in stacks.items() for f in lint_template(t, name, stacks)]
    assert len(everything) > 0
    assert {f.issue for f in everything if iam_lint.allowed_by(f) is None} <= iam_lint.REPORTED


# --- parliament: installed, offline, and what it gates ---------------------------------------------------------
def test_parliament_reads_its_bundled_data_and_never_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    import parliament

    assert Path(parliament.iam_definition_path).is_file()
    assert Path(parliament.iam_definition_path).stat().st_size > 1_000_000  # the whole Service Authorization data

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("parliament opened a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    assert _issues(_policy({"Effect": "Allow", "Action": "sagemaker:CreateTrainingJobz", "Resource": "*"})) == [
        ("UNKNOWN_ACTION", "Unknown action sagemaker:CreateTrainingJobz")
    ]


def test_the_pinned_parliament_is_the_one_installed() -> None:
    pinned = re.search(r"^parliament==(\S+)", (support.ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned and pinned.group(1) == iam_lint.PARLIAMENT_VERSION


@pytest.mark.parametrize(
    ("statement", "issue"),
    [
        ({"Effect": "Allow", "Action": "sagemaker:DescribeEndpointz", "Resource": "*"}, "UNKNOWN_ACTION"),
        ({"Effect": "Allow", "Action": "sagemakr:DescribeEndpoint", "Resource": "*"}, "UNKNOWN_PREFIX"),
        (
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"sagemaker:VolumeKmsKey": "x"}}},
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
        (
            {"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": "*",
             "Condition": {"StringEquals": {"kms:GrantIsForAWSResource": "true"}}},
            "MISMATCHED_TYPE",
        ),
        (
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
             "Condition": {"StringEqualz": {"s3:prefix": "a/"}}},
            "UNKNOWN_OPERATOR",
        ),
        (
            {"Effect": "Allow", "Action": "sagemaker:CreateTrainingJob",
             "Resource": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:transform-job/x-*"},
            "RESOURCE_MISMATCH",
        ),
        ({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}, "STAR_ACTION"),
        ({"Effect": "Allow", "Action": "*", "Resource": "*"}, "STAR_ACTION"),
        ({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}, "PASSROLE_WITHOUT_PASSED_TO_SERVICE"),
        ({"Effect": "Allow", "Action": "iam:Pass*", "Resource": "*"}, "PASSROLE_WITHOUT_PASSED_TO_SERVICE"),
        ({"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "Nowhere"}}, "UNRESOLVED_TOKEN"),
    ],
)
def test_each_gated_issue_fails_the_check(statement: dict[str, Any], issue: str) -> None:
    assert issue in GATED
    found = gating(lint_template(_policy(statement)))
    assert issue in {f.issue for f in found}, found


def test_passrole_with_passed_to_service_and_grant_for_aws_resource_on_create_grant_are_clean() -> None:
    template = _policy(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/r",
         "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
        {"Effect": "Allow", "Action": "kms:CreateGrant", "Resource": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
    )
    assert gating(lint_template(template)) == []


def test_a_wildcard_action_is_dead_only_when_none_of_its_expansions_matches() -> None:
    bucket = "arn:aws:s3:::b"
    ok = _policy({"Effect": "Allow", "Action": ["s3:GetObject*", "s3:List*"], "Resource": [bucket, f"{bucket}/*"]})
    assert gating(lint_template(ok)) == []  # s3:ListAllMyBuckets needs "*", but s3:ListBucket matches
    dead = _policy({"Effect": "Allow", "Action": ["logs:DescribeLogGroups", "logs:PutLogEvents"],
                    "Resource": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:*"})
    [finding] = gating(lint_template(dead))
    assert finding.issue == "RESOURCE_MISMATCH" and finding.detail.startswith("logs:DescribeLogGroups matches none")


def test_full_access_managed_policy_is_refused() -> None:
    arn = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSageMakerFullAccess"]]}
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [arn]}}}}
    [finding] = gating(lint_template(template))
    assert (finding.issue, finding.detail) == ("FULL_ACCESS_MANAGED_POLICY", "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")


def test_trust_policies_are_checked_against_the_role_they_belong_to() -> None:
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRolez"}]}}}}}
    assert [f.issue for f in gating(lint_template(template))] == ["UNKNOWN_ACTION"]


# --- token resolution ------------------------------------------------------------------------------------------
def test_tokens_resolve_to_values_of_the_right_shape() -> None:
    template = {
        "Mappings": {"Images": {"us-east-1": {"account": "683313688378"}}},
        "Parameters": {"Prefix": {"Type": "String", "Default": "jobs"}},
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic", "Properties": {}},
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "my-bucket"}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {}},
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {"EndpointName": "churn"}},
            "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "git-token"}},
        },
    }
    r = Resolver(template)
    # A secret's Ref is its ARN (a grant on a Secret the stack creates), not the schema's bare Id.
    assert r.resolve({"Ref": "Secret"}) == f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:git-token-AbCdEf"
    assert r.resolve({"Ref": "Topic"}).startswith(f"arn:aws:sns:us-east-1:{ACCOUNT}:example-stack-topic")
    assert r.resolve({"Fn::GetAtt": ["Bucket", "Arn"]}) == "arn:aws:s3:::my-bucket"
    assert r.resolve({"Ref": "Bucket"}) == "my-bucket"
    assert re.fullmatch(rf"arn:aws:kms:us-east-1:{ACCOUNT}:key/[0-9a-f-]{{36}}", r.resolve({"Fn::GetAtt": "Key.Arn"}))
    assert r.resolve({"Fn::GetAtt": ["Role", "Arn"]}).startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    assert r.resolve({"Ref": "Endpoint"}) == f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/churn"
    assert r.resolve({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::", {"Ref": "Bucket"}, "/*"]]}) == (
        "arn:aws:s3:::my-bucket/*"
    )
    assert r.resolve({"Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model/${Prefix}-*"}) == (
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:model/jobs-*"
    )
    assert r.resolve({"Fn::Sub": ["${B}/x", {"B": {"Fn::GetAtt": ["Bucket", "Arn"]}}]}) == "arn:aws:s3:::my-bucket/x"
    assert r.resolve({"Fn::FindInMap": ["Images", {"Ref": "AWS::Region"}, "account"]}) == "683313688378"
    assert r.resolve({"Fn::Select": [1, {"Fn::Split": ["/", "a/b/c"]}]}) == "b"


def test_cross_stack_outputs_resolve_through_the_producing_template() -> None:
    producer = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "alarms"}}},
                "Outputs": {"Out": {"Value": {"Ref": "Topic"}, "Export": {"Name": "AlarmTopic"}}}}
    consumer: dict[str, Any] = {"Resources": {}}
    r = Resolver(consumer, {"Producer": producer, "Consumer": consumer})
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms"
    assert r.resolve({"Fn::GetStackOutput": {"StackName": "Producer", "OutputName": "Out"}}) == topic
    assert r.resolve({"Fn::ImportValue": "AlarmTopic"}) == topic


# --- the allow-list and the synth hook -------------------------------------------------------------------------
def test_every_allowed_exception_has_a_reason_and_a_dated_source() -> None:
    for entry in ALLOWED:
        assert entry.issue in GATED, entry
        assert len(entry.reason) > 40, entry
        assert re.search(r"\b20\d\d-\d\d-\d\d\b", entry.source), f"no date in the source of {entry}"


def test_synth_nag_clean_rejects_a_stack_whose_policy_aws_would_not_understand() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "BadPolicy")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:InvokeEndpoints"], resources=["*"]))
    with pytest.raises(support.IamFindings, match=r"UNKNOWN_ACTION Unknown action sagemaker:InvokeEndpoints"):
        support.iam_lint_clean(app.synth())


def test_parliament_loads_without_setuptools_pkg_resources() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['pkg_resources'] = None; sys.path.insert(0, 'tests'); import iam_lint; "
        "print(iam_lint.gating(iam_lint.lint_template({'Resources': {}})))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=support.ROOT, capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr


def test_types_missing_from_the_tables_resolve_from_aws_schemas_and_iam_data() -> None:
    # Ref returns the primaryIdentifier of cfn-lint's CloudFormation schema; ARN formats come from parliament's data.
    template = {"Resources": {
        "Team": {"Type": "AWS::SageMaker::Workteam", "Properties": {"WorkteamName": "labelers"}},
        "Profile": {"Type": "AWS::SageMaker::UserProfile", "Properties": {"UserProfileName": "ana"}},
        "Files": {"Type": "AWS::EFS::FileSystem", "Properties": {}},
        "Odd": {"Type": "AWS::Foo::Bar", "Properties": {}},
    }}
    r = Resolver(template)
    assert r.resolve({"Fn::GetAtt": ["Profile", "UserProfileArn"]}) == (
        f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:user-profile/ana/ana"
    )
    assert r.resolve({"Fn::GetAtt": ["Files", "Arn"]}).startswith(
        f"arn:aws:elasticfilesystem:us-east-1:{ACCOUNT}:file-system/"
    )
    assert r.resolve({"Ref": "Profile"}).startswith("ana|")  # a compound identifier: UserProfileName|DomainId
    bad = _policy({"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Fn::GetAtt": ["Odd", "Arn"]}},
                  extra=template["Resources"])
    assert [f.issue for f in gating(lint_template(bad))] == ["UNRESOLVED_TOKEN"]


def test_only_policy_documents_are_read() -> None:
    waf = {"Resources": {"Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [
        {"Name": "r", "Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}}]}}}}
    assert list(iam_lint.policy_documents(waf)) == []
    assert [p for _, p, _ in iam_lint.policy_documents(_policy({"Effect": "Allow", "Action": "s3:ListBucket",
                                                                   "Resource": "arn:aws:s3:::b"}))] == ["/PolicyDocument"]
