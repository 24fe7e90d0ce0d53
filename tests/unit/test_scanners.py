"""One acknowledgement, every scanner; library roles with customer-managed policies; ArtifactBucket replication.

`acknowledge` writes the cdk-nag v3 acknowledgement and the equivalent checkov skip (Metadata.checkov.skip, same
reason) on the resources it covers; aws-cdk-lib's framework functions get checkov skips with reasons; the
ManagedRolePolicies Aspect moves library roles' DefaultPolicy into customer-managed policies with exact grants.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2, aws_iam as iam, aws_kms as kms, aws_s3 as s3, aws_sqs as sqs
from constructs import Construct

import support
from sagemaker_cdk import ArtifactBucket, BucketReplication, acknowledge
from sagemaker_cdk.core import _managed_policies, _scanner_rules


def _skips(resource: dict[str, Any]) -> dict[str, str]:
    return {s["id"]: s["comment"] for s in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])}


def _resources(template: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == rtype}


def test_the_table_names_only_checks_whose_resource_types_it_knows() -> None:
    for rule, checks in _scanner_rules.NAG_TO_CHECKOV.items():
        assert rule.split("-", 1)[0] in ("AwsSolutions", "Serverless", "HIPAA.Security", "NIST.800.53.R5"), rule
        for check in checks:
            assert check in _scanner_rules.CHECKOV_RESOURCE_TYPES, (rule, check)
    assert _scanner_rules.checkov_ids("HIPAA.Security-LambdaDLQ") == ("CKV_AWS_116",)
    assert _scanner_rules.checkov_ids("AwsSolutions-IAM5[Resource::*]") == ()  # no checkov twin
    assert _scanner_rules.checkov_ids("CKV_AWS_173") == ("CKV_AWS_173",)


def test_one_acknowledgement_reaches_cdk_nag_and_checkov_with_the_same_reason() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Ack")
    holder = Construct(stack, "Holder")
    reason = "This queue is itself a dead-letter queue; nothing would drain a second one."
    acknowledge(holder, "AwsSolutions-SQS3", reason)
    acknowledge(holder, "Serverless-SQSRedrivePolicy", reason)
    acknowledge(holder, "CKV_AWS_27", "Encrypted with SSE-SQS; the queue carries failure records, not data.")
    # Created after the acknowledgement: the skips are written at synth, so it is covered too.
    sqs.Queue(holder, "Queue", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
    bucket = ArtifactBucket(stack, "Bucket")
    assembly = support.synth_nag_clean(app)  # the cdk-nag half: no unacknowledged finding
    template = assembly.get_stack_by_name("Ack").template
    [queue] = _resources(template, "AWS::SQS::Queue").values()
    assert _skips(queue) == {"CKV_AWS_27": "Encrypted with SSE-SQS; the queue carries failure records, not data."}
    # AwsSolutions-S1 on the access-log bucket maps to checkov's CKV_AWS_18, with cdk-nag's reason.
    logs = template["Resources"][stack.resolve(bucket.access_logs_bucket.node.default_child.logical_id)]
    assert set(_skips(logs)) == {"CKV_AWS_18"}
    assert "logging it into itself would loop" in _skips(logs)["CKV_AWS_18"]
    data = template["Resources"][stack.resolve(bucket.bucket.node.default_child.logical_id)]
    assert _skips(data) == {}  # a finding without a checkov twin (replication) writes no checkov skip


def test_a_reason_is_required() -> None:
    stack = cdk.Stack(support.new_app(), "S")
    with pytest.raises(ValueError, match="give a reason a reviewer would accept"):
        acknowledge(stack, "AwsSolutions-S1", "")


def test_framework_functions_get_checkov_skips_and_ours_keep_their_checks() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Framework")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=1, nat_gateways=0, restrict_default_security_group=True,
                  subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    acknowledge(vpc, "AwsSolutions-VPC7", "A test VPC: flow logs are not what this test is about.")
    template = app.synth().get_stack_by_name("Framework").template
    [handler] = _resources(template, "AWS::Lambda::Function").values()
    skips = _skips(handler)
    assert set(skips) == {"CKV_AWS_115", "CKV_AWS_116", "CKV_AWS_117"}  # no environment, so CKV_AWS_173 passes
    assert all("aws-cdk-lib's own deployment-time function" in reason for reason in skips.values())


def _role_stack(statements: int) -> tuple[cdk.App, cdk.Stack, iam.Role, iam.Role]:
    app = support.new_app()
    stack = cdk.Stack(app, "Roles")

    class LibraryThing(Construct):  # stands for a sagemaker_cdk construct
        pass

    LibraryThing.__module__ = "sagemaker_cdk.test_double"
    thing = LibraryThing(stack, "Thing")
    library_role = iam.Role(thing, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    user_role = iam.Role(stack, "UserRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    for i in range(statements):
        for role in (library_role, user_role):
            role.add_to_principal_policy(iam.PolicyStatement(  # distinct conditions: CDK cannot merge them
                actions=["s3:GetObject"],
                resources=[f"arn:aws:s3:::bucket-number-{i:04d}-with-a-rather-long-name/prefix-{i}/object"],
                conditions={"StringEquals": {"s3:ExistingObjectTag/team": f"team-{i}"}},
            ))
    acknowledge(thing, "CKV_AWS_27", "Installs the stack's scanner Aspects; no queue in this stack.")
    return app, stack, library_role, user_role


def test_library_roles_get_customer_managed_policies_with_the_same_grants() -> None:
    app, stack, library_role, user_role = _role_stack(3)
    template = app.synth().get_stack_by_name("Roles").template
    managed = _resources(template, "AWS::IAM::ManagedPolicy")
    inline = _resources(template, "AWS::IAM::Policy")
    [policy] = managed.values()
    assert policy["Properties"]["Roles"] == [{"Ref": stack.resolve(library_role.node.default_child.logical_id)}]
    # The user's own role keeps its inline policy; both documents hold exactly the same statements.
    [user_policy] = inline.values()
    assert user_policy["Properties"]["Roles"] == [{"Ref": stack.resolve(user_role.node.default_child.logical_id)}]
    assert policy["Properties"]["PolicyDocument"] == user_policy["Properties"]["PolicyDocument"]


def test_a_policy_that_could_exceed_6144_characters_is_split_in_order() -> None:
    app, stack, library_role, user_role = _role_stack(60)
    template = app.synth().get_stack_by_name("Roles").template

    def statements_of(role: iam.Role, rtype: str) -> list[list[Any]]:
        ref = {"Ref": stack.resolve(role.node.default_child.logical_id)}
        return [p["Properties"]["PolicyDocument"]["Statement"] for p in _resources(template, rtype).values()
                if ref in p["Properties"].get("Roles", [])]

    managed = statements_of(library_role, "AWS::IAM::ManagedPolicy")
    assert statements_of(library_role, "AWS::IAM::Policy") == [] and len(managed) >= 2
    for statements in managed:
        assert _managed_policies.estimated_size({"Version": "2012-10-17", "Statement": statements}) <= 6144
    # Exactly the grants aws-cdk-lib gives the user's role (inline DefaultPolicy plus its own overflow policies).
    user = statements_of(user_role, "AWS::IAM::Policy") + statements_of(user_role, "AWS::IAM::ManagedPolicy")
    assert sorted(json.dumps(s) for group in managed for s in group) == sorted(
        json.dumps(s) for group in user for s in group)


def test_estimated_size_is_an_upper_bound_of_the_resolved_text() -> None:
    document = {"Statement": [{"Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::b/*"]]}}]}
    resolved = {"Statement": [{"Resource": "arn:aws-us-gov:s3:::b/*"}]}
    assert _managed_policies.estimated_size(document) >= len(json.dumps(resolved, separators=(",", ":")))


def _replicated(stack: cdk.Stack, **kwargs: Any) -> ArtifactBucket:
    return ArtifactBucket(stack, "Bucket", replication=BucketReplication(
        destination=s3.Bucket.from_bucket_name(stack, "Replica", "my-replica-eu-west-1"),
        encryption_key=kms.Key.from_key_arn(
            stack, "ReplicaKey", "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        **kwargs,
    ))


def test_replication_copies_every_kms_object_to_the_other_region_and_stays_clean() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Replicated")
    bucket = _replicated(stack)
    assembly = support.synth_nag_clean(app)  # all four packs: no S3BucketReplicationEnabled, IAM5 explained
    template = assembly.get_stack_by_name("Replicated").template
    assert support.lint(template, "Replicated") == []
    data = template["Resources"][stack.resolve(bucket.bucket.node.default_child.logical_id)]
    [rule] = data["Properties"]["ReplicationConfiguration"]["Rules"]
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
    assert rule["Destination"]["EncryptionConfiguration"]["ReplicaKmsKeyID"].startswith("arn:aws:kms:eu-west-1:")
    assert rule["DeleteMarkerReplication"] == {"Status": "Disabled"}
    [policy] = _resources(template, "AWS::IAM::ManagedPolicy").values()
    text = json.dumps(policy)
    assert "s3:ReplicateObject" in text and "my-replica-eu-west-1/*" in text and "kms:Decrypt" in text


def test_replication_props_fail_with_the_fix() -> None:
    stack = cdk.Stack(support.new_app(), "S")
    with pytest.raises(TypeError, match=r"replication must be a BucketReplication or None, got str 'arn:aws:s3:::elsewhere'"):
        ArtifactBucket(stack, "A", replication="arn:aws:s3:::elsewhere")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"BucketReplication: invalid props:\n  - encryption_key must be an aws_kms.IKey, got str 'alias/aws/s3'"):
        ArtifactBucket(stack, "B", replication=BucketReplication(
            destination=s3.Bucket.from_bucket_name(stack, "R", "replica-r"), encryption_key="alias/aws/s3"))  # type: ignore
