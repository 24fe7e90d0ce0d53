"""ArtifactBucket, ModelData, ContainerImage, ModelNetwork and Model: props, defaults and least privilege."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2, aws_ecr as ecr, aws_iam as iam, aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

import support
from sagemaker_cdk import ArtifactBucket, ContainerImage, Model, ModelData, ModelNetwork
from sagemaker_cdk.core.image_registry import algorithms, lookup


def _statements(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    return [
        s
        for key, policy in template.find_resources("AWS::IAM::ManagedPolicy").items()
        if key.startswith(role_prefix)
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else action


@pytest.fixture(scope="module")
def blocks() -> dict[str, Any]:
    """Bucket + one model per image source, synthesized once with the gating nag packs."""
    app = support.new_app()
    stack = cdk.Stack(app, "Blocks")
    bucket = ArtifactBucket(stack, "Bucket")
    repo = ecr.Repository(stack, "Repo", image_scan_on_push=True)
    Model(
        stack,
        "FromBucket",
        image=ContainerImage.from_ecr_repository(repo, "v1"),
        model_data=ModelData.from_bucket(bucket.bucket, "models/m/model.tar.gz"),
    )
    support.xgboost_model(stack, "BuiltIn")
    Model(
        stack,
        "Marketplace",
        image=ContainerImage.from_model_package("arn:aws:sagemaker:us-east-1:865070037744:model-package/demo-1"),
    )
    assembly = support.synth_nag_clean(app)
    return {"template": Template.from_json(assembly.get_stack_by_name("Blocks").template),
            "raw": assembly.get_stack_by_name("Blocks").template}


def test_bucket_is_kms_versioned_ssl_only_private_logged_and_retained(blocks: dict[str, Any]) -> None:
    t = blocks["template"]
    t.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [Match.object_like(
                        {"ServerSideEncryptionByDefault": Match.object_like({"SSEAlgorithm": "aws:kms"})})]},
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True, "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
                    },
                    "LoggingConfiguration": Match.object_like({"LogFilePrefix": "artifact-bucket/"}),
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    t.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    t.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {"PolicyDocument": {"Statement": Match.array_with([Match.object_like(
            {"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})])}},
    )


def test_bucket_opt_outs(stack: cdk.Stack) -> None:
    logs = s3.Bucket(stack, "Logs", enforce_ssl=True)
    bucket = ArtifactBucket(stack, "B", removal_policy=cdk.RemovalPolicy.DESTROY, access_logs_bucket=logs,
                            access_logs_prefix="x/")
    assert bucket.access_logs_bucket is logs
    t = Template.from_stack(stack)
    t.resource_count_is("AWS::S3::Bucket", 2)
    t.has_resource("AWS::S3::Bucket", {"DeletionPolicy": "Delete", "Properties": Match.object_like(
        {"LoggingConfiguration": Match.object_like({"LogFilePrefix": "x/"})})})
    assert bucket.s3_uri("train/") .endswith("/train/")


def test_bucket_grants_are_prefix_scoped(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "B")
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket.grant_read(role, "train/")
    bucket.grant_write(role, "output")
    text = str(Template.from_stack(stack).find_resources("AWS::IAM::Policy"))  # the test's own role: inline
    assert "/train/*" in text and "/output/*" in text


def test_from_bucket_model_reads_only_its_object_and_pulls_only_its_repo(blocks: dict[str, Any]) -> None:
    statements = _statements(blocks["template"], "FromBucketRole")
    s3_statements = [s for s in statements if any(a.startswith("s3:") for a in _actions(s))]
    assert [_actions(s) for s in s3_statements] == [["s3:GetObject"]]
    assert "models/m/model.tar.gz" in str(s3_statements[0]["Resource"])
    ecr_pull = [s for s in statements if "ecr:BatchGetImage" in _actions(s)]
    assert len(ecr_pull) == 1 and "Repo" in str(ecr_pull[0]["Resource"])
    kms = [s for s in statements if "kms:Decrypt" in _actions(s)]
    assert len(kms) == 1 and "BucketKey" in str(kms[0]["Resource"])


def test_no_model_role_has_managed_policies_or_star_actions(blocks: dict[str, Any]) -> None:
    raw = blocks["raw"]
    for resource in raw["Resources"].values():
        if resource["Type"] == "AWS::IAM::Role":
            assert "AmazonSageMakerFullAccess" not in str(resource["Properties"].get("ManagedPolicyArns", ""))
        if resource["Type"] == "AWS::IAM::ManagedPolicy":
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                assert all(a != "*" and not a.endswith(":*") for a in _actions(statement))


def test_built_in_image_resolves_through_a_region_mapping(blocks: dict[str, Any]) -> None:
    raw = blocks["raw"]
    mapping = raw["Mappings"]["SageMakerImageXgboost171"]
    image = lookup("xgboost", "1.7-1")
    assert mapping == {region: {"account": account} for region, account in image.accounts.items()}
    assert mapping["us-east-1"] == {"account": "683313688378"}
    assert len(mapping) >= 29
    [model] = [r for k, r in raw["Resources"].items() if k.startswith("BuiltIn") and r["Type"] == "AWS::SageMaker::Model"]
    uri = model["Properties"]["PrimaryContainer"]["Image"]
    assert {"Fn::FindInMap": ["SageMakerImageXgboost171", {"Ref": "AWS::Region"}, "account"]} in uri["Fn::Join"][1]
    assert "/sagemaker-xgboost:1.7-1" in "".join(p for p in uri["Fn::Join"][1] if isinstance(p, str))
    pulls = [s for s in _statements(blocks["template"], "BuiltInRole") if "ecr:BatchGetImage" in _actions(s)]
    assert "repository/sagemaker-xgboost" in str(pulls[0]["Resource"])


@pytest.mark.parametrize(
    "algorithm",
    ["linear-learner", "knn", "pca", "kmeans", "randomcutforest", "xgboost", "blazingtext", "seq2seq",
     "image-classification", "object-detection"],
)
def test_required_built_in_algorithms_resolve(algorithm: str) -> None:
    assert algorithm in algorithms()
    image = ContainerImage.built_in(algorithm)
    assert image.image.accounts["us-east-1"].isdigit()  # type: ignore[attr-defined]


def test_marketplace_model_forces_network_isolation_and_uses_the_package(blocks: dict[str, Any]) -> None:
    blocks["template"].has_resource_properties(
        "AWS::SageMaker::Model",
        {
            "PrimaryContainer": {"ModelPackageName": "arn:aws:sagemaker:us-east-1:865070037744:model-package/demo-1"},
            "EnableNetworkIsolation": True,
        },
    )


def test_models_default_to_network_isolation_in_a_two_az_vpc(blocks: dict[str, Any]) -> None:
    t = blocks["template"]
    for model in t.find_resources("AWS::SageMaker::Model").values():
        props = model["Properties"]
        assert props["EnableNetworkIsolation"] is True
        assert len(props["VpcConfig"]["Subnets"]) == 2
        assert len(props["VpcConfig"]["SecurityGroupIds"]) == 1
    t.resource_count_is("AWS::EC2::VPC", 1)  # shared by every model of the stack
    t.resource_count_is("AWS::EC2::NatGateway", 0)
    t.resource_count_is("AWS::EC2::InternetGateway", 0)
    t.has_resource_properties("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Gateway"})
    t.resource_count_is("AWS::EC2::VPCEndpoint", 4)  # S3 gateway + ECR, ECR Docker, Logs
    t.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365, "KmsKeyId": Match.any_value()})
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {"GroupDescription": Match.string_like_regexp("SageMaker models"),
         "SecurityGroupEgress": [Match.object_like({"FromPort": 443, "ToPort": 443})]},
    )


def test_model_opt_outs_warn(stack: cdk.Stack) -> None:
    model = support.xgboost_model(stack, "M", place_in_vpc=False, network_isolation=False,
                                  environment={"SAGEMAKER_PROGRAM": "serve"})
    t = Template.from_stack(stack)
    [props] = [m["Properties"] for m in t.find_resources("AWS::SageMaker::Model").values()]
    assert "VpcConfig" not in props and props["EnableNetworkIsolation"] is False
    assert props["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "serve"}
    Annotations.from_stack(stack).has_warning("/Test/M", Match.string_like_regexp("outside your VPC"))
    assert model.network is None


def test_imported_role_gets_no_grants(stack: cdk.Stack) -> None:
    role = iam.Role.from_role_arn(stack, "R", "arn:aws:iam::123456789012:role/ml", mutable=False)
    model = support.xgboost_model(stack, "M", role=role)
    assert model.role is role
    roles = Template.from_stack(stack).find_resources("AWS::IAM::Role")
    assert "sagemaker.amazonaws.com" not in str(roles)  # only the VPC's flow-log and custom-resource roles


def test_user_vpc_is_accepted_and_needs_two_azs() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Vpc", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    vpc = ec2.Vpc(stack, "Mine", max_azs=3)
    network = ModelNetwork(stack, "Net", vpc=vpc)
    assert len(network.subnet_ids) == 3
    with pytest.raises(ValueError, match=r"subnets select 1 subnet\(s\): select subnets in at least two"):
        ModelNetwork(stack, "One", vpc=vpc, subnets=ec2.SubnetSelection(subnets=[vpc.private_subnets[0]]))


def test_interface_endpoints_opt_out(stack: cdk.Stack) -> None:
    ModelNetwork(stack, "N", interface_endpoints=False)
    Template.from_stack(stack).resource_count_is("AWS::EC2::VPCEndpoint", 1)


def test_from_asset_image_needs_no_docker_at_synth(stack: cdk.Stack, tmp_path: Any) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    Model(stack, "M", image=ContainerImage.from_asset(str(tmp_path)))
    [props] = [m["Properties"] for m in Template.from_stack(stack).find_resources("AWS::SageMaker::Model").values()]
    assert "dkr.ecr" in str(props["PrimaryContainer"]["Image"])


def test_blocks_lint_clean(blocks: dict[str, Any]) -> None:
    assert support.lint(blocks["raw"], "Blocks") == []
