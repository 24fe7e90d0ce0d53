"""Each mistake that used to pass silently, or escape as a raw error (issue 10, "Why"), now fails clearly or works.

Every message names the prop, the value and the fix.
"""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito, aws_s3 as s3, aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

import support
from sagemaker_cdk import (
    ArtifactBucket,
    AsyncEndpoint,
    ContainerImage,
    InvocationApi,
    Model,
    ModelData,
    RealtimeEndpoint,
    ServerlessEndpoint,
    Variant,
    subscribe_email,
)
from sagemaker_cdk.core.resource_budget import CLOUDFORMATION_RESOURCE_LIMIT
from support import MODEL_ARTIFACT, xgboost_model


# -- friendly forms ---------------------------------------------------------------------------------------------------


def test_model_data_from_an_artifact_bucket(stack: cdk.Stack) -> None:
    bucket = ArtifactBucket(stack, "Artifacts")
    Model(
        stack,
        "M",
        image=ContainerImage.built_in("xgboost", "1.7-1"),
        model_data=ModelData.from_bucket(bucket, "models/xgboost/model.tar.gz"),
        place_in_vpc=False,
    )
    t = Template.from_stack(stack)
    text = str(t.find_resources("AWS::IAM::ManagedPolicy"))
    assert "models/xgboost/model.tar.gz" in text and "kms:Decrypt" in text


def test_container_image_from_a_repository_name(stack: cdk.Stack) -> None:
    Model(
        stack,
        "M",
        image=ContainerImage.from_ecr_repository("my-team/fraud-model", "v3"),
        place_in_vpc=False,
    )
    t = Template.from_stack(stack)
    image = t.find_resources("AWS::SageMaker::Model")
    assert "my-team/fraud-model:v3" in str(image)
    assert "repository/my-team/fraud-model" in str(t.find_resources("AWS::IAM::ManagedPolicy"))


@pytest.mark.parametrize(
    "name",
    ["123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud", "arn:aws:ecr:us-east-1:123456789012:repository/x", "Upper", "a"],
)
def test_a_repository_name_that_is_not_one(name: str) -> None:
    with pytest.raises(ValueError, match=rf"repository \('{name}'\) is not an ECR repository name: .*give the name"):
        ContainerImage.from_ecr_repository(name)


# -- wrong types --------------------------------------------------------------------------------------------------


def test_variant_with_a_model_name() -> None:
    with pytest.raises(TypeError, match=r"model must be a Model, got str 'champion': pass the object itself"):
        Variant(model="champion")  # type: ignore[arg-type]


def test_cognito_user_pool_as_an_arn_string(stack: cdk.Stack) -> None:
    endpoint = RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    arn = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"
    with pytest.raises(TypeError) as err:
        InvocationApi(stack, "Api", endpoint=endpoint, authorization="cognito", user_pool=arn)  # type: ignore[arg-type]
    text = str(err.value)
    assert f"user_pool must be an aws_cognito.IUserPool or None, got str '{arn}'" in text
    assert "import it with aws_cognito.UserPool.from_user_pool_arn(scope, id, ...)" in text
    assert not isinstance(err.value, RuntimeError)


def test_an_imported_user_pool_is_accepted(stack: cdk.Stack) -> None:
    endpoint = RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    pool = cognito.UserPool.from_user_pool_arn(
        stack, "Pool", "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"
    )
    InvocationApi(stack, "Api", endpoint=endpoint, authorization="cognito", user_pool=pool)
    Template.from_stack(stack).resource_count_is("AWS::ApiGateway::Authorizer", 1)


# -- subscribe_email --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["not-an-email", "a@b", "two@example.com,three@example.com", " x@example.com", ""])
def test_subscribe_email_rejects_what_is_not_an_address(stack: cdk.Stack, address: str) -> None:
    topic = sns.Topic(stack, "T")
    with pytest.raises(ValueError, match=r"address \(.*\) is not an e-mail address: give one address such as"):
        subscribe_email(topic, address)


def test_subscribe_email_accepts_an_address_and_a_token(stack: cdk.Stack) -> None:
    topic = sns.Topic(stack, "T")
    subscribe_email(topic, "ml-oncall+alerts@example.co.uk")
    subscribe_email(topic, cdk.CfnParameter(stack, "Email").value_as_string)
    Template.from_stack(stack).resource_count_is("AWS::SNS::Subscription", 2)


# -- built-in algorithm without model data ---------------------------------------------------------------------------


def test_built_in_image_without_model_data(stack: cdk.Stack) -> None:
    with pytest.raises(ValueError) as err:
        Model(stack, "M", image=ContainerImage.built_in("xgboost"))
    text = str(err.value)
    assert "model_data is missing: the built-in 'xgboost' image" in text
    assert "pass model_data=ModelData.from_asset('model.tar.gz')" in text


def test_images_that_carry_their_model_need_no_model_data(stack: cdk.Stack) -> None:
    Model(stack, "Ecr", image=ContainerImage.from_ecr_repository("my-team/fraud-model", "v3"), place_in_vpc=False)
    Model(
        stack,
        "Package",
        image=ContainerImage.from_model_package("arn:aws:sagemaker:us-east-1:865070037744:model-package/demo-1"),
        place_in_vpc=False,
    )


# -- InvocationApi in front of an AsyncEndpoint --------------------------------------------------------------------


def _async_endpoint(stack: cdk.Stack) -> AsyncEndpoint:
    return AsyncEndpoint(
        stack, "Async", bucket=ArtifactBucket(stack, "B"), variants=[Variant(model=xgboost_model(stack), name="a")]
    )


def test_invocation_api_picks_the_async_route_for_an_async_endpoint(stack: cdk.Stack) -> None:
    endpoint = _async_endpoint(stack)
    api = InvocationApi(stack, "Api", endpoint=endpoint)
    assert api.sync_method is None and api.async_method is not None
    assert api.async_input_prefix == endpoint.input_prefix
    t = Template.from_stack(stack)
    paths = [r["Properties"]["PathPart"] for r in t.find_resources("AWS::ApiGateway::Resource").values()]
    assert paths == ["async-invocations"]
    policies = str(t.find_resources("AWS::IAM::ManagedPolicy"))
    assert "sagemaker:InvokeEndpointAsync" in policies and "'sagemaker:InvokeEndpoint'" not in policies


def test_invocation_api_refuses_a_sync_route_on_an_async_endpoint(stack: cdk.Stack) -> None:
    endpoint = _async_endpoint(stack)
    with pytest.raises(ValueError, match=r"sync_route \(True\) in front of AsyncEndpoint 'Async'.*drop sync_route"):
        InvocationApi(stack, "Api", endpoint=endpoint, sync_route=True)


def test_sync_route_false_keeps_working(stack: cdk.Stack) -> None:
    endpoint = _async_endpoint(stack)
    api = InvocationApi(
        stack, "Api", endpoint=endpoint, sync_route=False, async_input_bucket=endpoint.bucket.bucket,
        async_input_prefix=endpoint.input_prefix,
    )
    assert api.sync_method is None and api.async_method is not None


def test_a_realtime_endpoint_keeps_its_sync_route(stack: cdk.Stack) -> None:
    endpoint = RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    api = InvocationApi(stack, "Api", endpoint=endpoint)
    assert api.sync_method is not None and api.async_method is None


def test_async_input_bucket_accepts_an_artifact_bucket(stack: cdk.Stack) -> None:
    endpoint = RealtimeEndpoint(stack, "E", variants=[Variant(model=xgboost_model(stack))])
    bucket = ArtifactBucket(stack, "Inputs")
    api = InvocationApi(stack, "Api", endpoint=endpoint, async_input_bucket=bucket)
    assert api.async_input_bucket is bucket.bucket


# -- serverless models outside a VPC ----------------------------------------------------------------------------------


def _outside_vpc_warnings(stack: cdk.Stack) -> list:
    return [
        w for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())
        if "model-outside-vpc" in str(w.entry.data)
    ]


def test_no_vpc_warning_for_a_serverless_model(stack: cdk.Stack) -> None:
    model = Model(
        stack, "M", image=ContainerImage.built_in("xgboost", "1.7-1"), model_data=ModelData.from_asset(MODEL_ARTIFACT),
        place_in_vpc=False, network_isolation=False,
    )
    ServerlessEndpoint(stack, "S", model=model)
    assert _outside_vpc_warnings(stack) == []


def test_the_vpc_warning_stays_for_instance_endpoints_and_unused_models(stack: cdk.Stack) -> None:
    served = xgboost_model(stack, "Served", place_in_vpc=False)
    RealtimeEndpoint(stack, "E", variants=[Variant(model=served)])
    xgboost_model(stack, "Unused", place_in_vpc=False)
    paths = sorted(w.id for w in _outside_vpc_warnings(stack))
    assert paths == ["/Test/Served", "/Test/Unused"]
    assert "Prefer a ModelNetwork over two AZs" in str(_outside_vpc_warnings(stack)[0].entry.data)


# -- resource budget ------------------------------------------------------------------------------------------------


def test_past_500_resources_our_error_comes_before_cdks() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Crowded")
    ArtifactBucket(stack, "B")  # registers the budget
    for i in range(CLOUDFORMATION_RESOURCE_LIMIT):
        cdk.CfnResource(stack, f"R{i}", type="AWS::SNS::Topic")
    with pytest.raises(RuntimeError) as err:
        app.synth()
    text = str(err.value)
    assert text.startswith("sagemaker-cdk: stack Crowded has 50")
    assert "over CloudFormation's limit of 500" in text and "move some endpoints" in text
    assert "greater than allowed maximum" not in text and "TooManyResources" not in text


def test_at_500_resources_it_only_warns() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Full")
    ArtifactBucket(stack, "B")
    count = len([c for c in stack.node.find_all() if isinstance(c, cdk.CfnResource)])
    for i in range(CLOUDFORMATION_RESOURCE_LIMIT - count):
        cdk.CfnResource(stack, f"R{i}", type="AWS::SNS::Topic")
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp(".*has 500 resources.*"))
    assert warnings


# -- values that aws-cdk-lib would reject with a jsii RuntimeError --------------------------------------------------


@pytest.mark.parametrize("name", ["x", "Upper-Case", "under_score", "a..b", "192.168.1.1", "-lead", "a" * 64])
def test_bucket_name_is_checked_by_us_not_by_jsii(stack: cdk.Stack, name: str) -> None:
    with pytest.raises(ValueError, match=rf"bucket_name \('{name}'\) is not a valid S3 bucket name: use 3 to 63"):
        ArtifactBucket(stack, "B", bucket_name=name)


def test_a_valid_bucket_name_is_kept(stack: cdk.Stack) -> None:
    ArtifactBucket(stack, "B", bucket_name="team.artifacts-01")
    Template.from_stack(stack).has_resource_properties("AWS::S3::Bucket", {"BucketName": "team.artifacts-01"})
