"""The template rewrites of scripts/rehearse.py for moto bugs, checked against moto itself (in process, no CDK CLI).

Each test first shows the bug on the unmodified template, so that it fails, and the workaround can go, once moto is
fixed.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import sys
import types
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from moto import mock_aws

pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore:Tried to parse .* not supported by moto:UserWarning")]

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "rehearse.py"
_spec = importlib.util.spec_from_file_location("rehearse_under_test", SCRIPT)
rehearse = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = rehearse  # its dataclasses look their module up
_spec.loader.exec_module(rehearse)

# What CDK synthesizes for a RestApi: the Deployment (which only Refs the RestApi) comes before the Method it DependsOn,
# and the Stage reads the Deployment, so moto would also create the Deployment lazily, through the Stage's Ref.
API_TEMPLATE = {"Resources": {
    "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "rehearsal"}},
    "Deployment": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}},
                   "DependsOn": ["Method", "Invocations"]},
    "Stage": {"Type": "AWS::ApiGateway::Stage",
              "Properties": {"RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deployment"}, "StageName": "prod"}},
    "Invocations": {"Type": "AWS::ApiGateway::Resource",
                    "Properties": {"RestApiId": {"Ref": "Api"}, "ParentId": {"Fn::GetAtt": ["Api", "RootResourceId"]},
                                   "PathPart": "invocations"}},
    "Method": {"Type": "AWS::ApiGateway::Method",
               "Properties": {"RestApiId": {"Ref": "Api"}, "ResourceId": {"Ref": "Invocations"}, "HttpMethod": "POST",
                              "AuthorizationType": "NONE",
                              "Integration": {"Type": "MOCK", "IntegrationHttpMethod": "POST",
                                              "Uri": "http://example.invalid/"}}},
}}


@pytest.fixture
def cfn(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.client("cloudformation", region_name="us-east-1")


def _execute_change_set(cfn, name: str, template: dict) -> str:
    cfn.create_change_set(StackName=name, ChangeSetName="rehearsal", ChangeSetType="CREATE",
                          TemplateBody=json.dumps(template))
    cfn.execute_change_set(StackName=name, ChangeSetName="rehearsal")
    return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def test_moto_ignores_depends_on_in_change_sets_and_the_reordering_works_around_it(cfn):
    # The bug: ExecuteChangeSet creates the Deployment before its Method, API Gateway's error comes back as JSON to an
    # XML API (the CDK CLI's "XML parse error") and the stack stays REVIEW_IN_PROGRESS.
    with pytest.raises((ResponseParserError, ClientError), match=r"REST API doesn.{0,2}'t contain any methods"):
        _execute_change_set(cfn, "unchanged", copy.deepcopy(API_TEMPLATE))
    assert cfn.describe_stacks(StackName="unchanged")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"

    template = copy.deepcopy(API_TEMPLATE)
    moved = rehearse._order_by_dependencies(template)
    assert moved == {"Deployment": ["Method", "Invocations"]}
    order = list(template["Resources"])
    assert sorted(order) == sorted(API_TEMPLATE["Resources"])
    assert order.index("Method") < order.index("Deployment") < order.index("Stage")
    assert {k: template["Resources"][k] for k in API_TEMPLATE["Resources"]} == API_TEMPLATE["Resources"]  # order only
    assert _execute_change_set(cfn, "reordered", template) == "CREATE_COMPLETE"


def test_templates_moto_already_creates_in_order_are_left_alone():
    template = copy.deepcopy(API_TEMPLATE)
    template["Resources"]["Deployment"]["DependsOn"] = ["Api"]  # a target moto creates first anyway
    assert rehearse._order_by_dependencies(template) == {}
    assert list(template["Resources"]) == list(API_TEMPLATE["Resources"])


# What CDK synthesizes for a BucketDeployment under @aws-cdk/aws-lambda:useCdkManagedLogGroup: the handler's LogGroup
# (named after the function) comes after the custom resource that invokes the handler.
LOG_GROUP_TEMPLATE = {"Resources": {
    "HandlerRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": "lambda.amazonaws.com"}}],
    }}},
    "Handler": {"Type": "AWS::Lambda::Function",
                "Properties": {"Runtime": "python3.12", "Handler": "index.handler",
                               "Role": {"Fn::GetAtt": ["HandlerRole", "Arn"]},
                               "Code": {"ZipFile": "def handler(event, context):\n    return {}\n"}}},
    "Upload": {"Type": "Custom::CDKBucketDeployment",
               "Properties": {"ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]}, "Prune": False}},
    "HandlerLogGroup": {"Type": "AWS::Logs::LogGroup",
                        "Properties": {"LogGroupName": {"Fn::Join": ["", ["/aws/lambda/", {"Ref": "Handler"}]]},
                                       "RetentionInDays": 731}},
}}


class _InlineThread:
    """Runs the target on start(): the interleaving where moto's invoke thread wins the race."""

    def __init__(self, target, args=(), kwargs=None, **_ignored):
        self._run = lambda: target(*args, **(kwargs or {}))

    def start(self):
        self._run()


def test_moto_creates_an_invoked_functions_log_group_and_moving_the_log_group_first_works_around_it(cfn, monkeypatch):
    # The bug: creating the custom resource starts a thread invoking Handler (moto/cloudformation/custom_model.py);
    # the invoke creates /aws/lambda/<Handler> first (then fails without Docker), and when that happens before the
    # LogGroup resource after it is created (always, in the rehearsal of the training stack; a race in general, forced
    # here), that fails with ResourceAlreadyExistsException, returned as JSON to the XML API (the CDK CLI's "XML parse
    # error"); the stack stays REVIEW_IN_PROGRESS.
    import moto.cloudformation.custom_model as custom_model
    monkeypatch.setattr(custom_model, "threading", types.SimpleNamespace(Thread=_InlineThread))
    with pytest.raises((ResponseParserError, ClientError), match=r"log group already exists"):
        _execute_change_set(cfn, "unchanged", copy.deepcopy(LOG_GROUP_TEMPLATE))
    assert cfn.describe_stacks(StackName="unchanged")["Stacks"][0]["StackStatus"] == "REVIEW_IN_PROGRESS"

    template = copy.deepcopy(LOG_GROUP_TEMPLATE)
    assert rehearse._order_lambda_log_groups(template) == {"Upload": ["HandlerLogGroup"]}
    order = list(template["Resources"])
    assert order.index("Handler") < order.index("HandlerLogGroup") < order.index("Upload")
    assert {k: template["Resources"][k] for k in LOG_GROUP_TEMPLATE["Resources"]} == LOG_GROUP_TEMPLATE["Resources"]
    assert _execute_change_set(cfn, "reordered", template) == "CREATE_COMPLETE"
    assert rehearse._order_lambda_log_groups(template) == {}  # already safe: left alone


# CDK weak cross-stack references (@aws-cdk/core:defaultCrossStackReferences = weak): the consumer reads the producer's
# Output with Fn::GetStackOutput.
PRODUCER = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"},
                          "Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Threshold": 1}}},
            "Outputs": {"TopicArnOut": {"Value": {"Ref": "Topic"}}, "AlarmNameOut": {"Value": {"Ref": "Alarm"}}}}
READ = {"StackName": "producer", "Region": {"Ref": "AWS::Region"}, "OutputName": "TopicArnOut"}
CONSUMER = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue",
                                    "Properties": {"Tags": [{"Key": "topic", "Value": {"Fn::GetStackOutput": READ}}]}}}}


def test_moto_neither_resolves_get_stack_output_nor_evaluates_change_set_outputs(cfn):
    assert _execute_change_set(cfn, "producer", copy.deepcopy(PRODUCER)) == "CREATE_COMPLETE"
    # No Outputs (hence no Exports either: Fn::ImportValue is no way around) for a stack created from a change set...
    assert "Outputs" not in cfn.describe_stacks(StackName="producer")["Stacks"][0]
    # ... and Fn::GetStackOutput is deployed unresolved.
    assert _execute_change_set(cfn, "consumer", copy.deepcopy(CONSUMER)) == "CREATE_COMPLETE"
    sqs = boto3.client("sqs", region_name="us-east-1")
    tags = sqs.list_queue_tags(QueueUrl=sqs.list_queues()["QueueUrls"][0]).get("Tags", {})
    assert "Fn::GetStackOutput" in str(tags.get("topic"))

    # An UpdateStack with the previous template makes moto evaluate the Outputs; the Ref to the alarm (a type moto
    # skips) only survives with the workaround of _replace_skipped_arns.
    cfn.update_stack(StackName="producer", UsePreviousTemplate=True)
    outputs = {o["OutputKey"] for o in cfn.describe_stacks(StackName="producer")["Stacks"][0]["Outputs"]}
    assert outputs == {"TopicArnOut"}
    template = copy.deepcopy(PRODUCER)
    assert rehearse._replace_skipped_arns(template) == {"Alarm": {"Arn": 0, "Ref": 1}}
    assert _execute_change_set(cfn, "producer2", template) == "CREATE_COMPLETE"
    cfn.update_stack(StackName="producer2", UsePreviousTemplate=True)
    outputs = {o["OutputKey"]: o["OutputValue"]
               for o in cfn.describe_stacks(StackName="producer2")["Stacks"][0]["Outputs"]}
    assert outputs["AlarmNameOut"] == "Alarm"

    consumer = copy.deepcopy(CONSUMER)
    assert rehearse.resolve_stack_outputs(consumer, {"producer": outputs}) == {"Queue": ["producer.TopicArnOut"]}
    assert consumer["Resources"]["Queue"]["Properties"]["Tags"][0]["Value"] == outputs["TopicArnOut"]


def test_get_stack_output_orders_deployment_waves_and_missing_outputs_fail_loudly():
    stacks = [{"stack_name": "consumer", "template": CONSUMER}, {"stack_name": "producer", "template": PRODUCER},
              {"stack_name": "other", "template": {"Resources": {}}}]
    assert [[s["stack_name"] for s in w] for w in rehearse.deployment_waves(stacks)] == [["producer", "other"],
                                                                                          ["consumer"]]
    assert rehearse.deployment_waves(stacks[1:]) == [stacks[1:]]  # nothing to wait for: one `cdk deploy --all`
    cross_account = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [
        {"Key": "t", "Value": {"Fn::GetStackOutput": dict(READ, RoleArn="arn:aws:iam::210987654321:role/r")}}]}}}}
    assert rehearse.stack_output_producers(cross_account, {"producer"}) == set()
    with pytest.raises(rehearse.StepFailed, match="Queue reads producer.TopicArnOut"):
        rehearse.resolve_stack_outputs(copy.deepcopy(CONSUMER), {"producer": {}})


def test_a_registry_resolvers_model_data_url_becomes_its_fallback():
    """moto records a custom resource as complete without running its handler, so GetAtt <resolver>.ModelDataUrl has
    no value; with no approved version in a fresh emulator, the resolver would answer the fallback."""
    fallback = {"Fn::Sub": "s3://cdk-assets-${AWS::AccountId}/abc.gz"}
    template = {"Resources": {
        "Resolver": {"Type": "Custom::RegistryModelData",
                     "Properties": {"ServiceToken": "arn", "GroupName": "g", "FallbackModelDataUrl": fallback}},
        "Model": {"Type": "AWS::SageMaker::Model", "Properties": {"PrimaryContainer": {
            "Image": "i", "ModelDataUrl": {"Fn::GetAtt": ["Resolver", "ModelDataUrl"]}}}},
        "Other": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::GetAtt": ["Resolver", "Source"]}}},
    }}
    assert rehearse._resolve_registry_model_data(template) == {"Resolver": 1}
    assert template["Resources"]["Model"]["Properties"]["PrimaryContainer"]["ModelDataUrl"] == fallback
    assert template["Resources"]["Other"]["Properties"]["DisplayName"] == {"Fn::GetAtt": ["Resolver", "Source"]}


# A Step Functions state machine without a name, in a stack whose name and the logical ID add up to more than 80
# characters once moto appends its suffix (the Workspaces stack's custom-resource Provider waiter).
LONG_STACK = "SageMakerCdkWorkspaces"
MACHINE_TEMPLATE = {"Resources": {
    "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "states.amazonaws.com"}}]}}},
    "StudioTeardownProviderwaiterstatemachineF03E4B3C": {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {"RoleArn": {"Fn::GetAtt": ["Role", "Arn"]},
                       "DefinitionString": json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})}},
}}


def test_moto_does_not_truncate_generated_state_machine_names_and_an_explicit_name_works_around_it(cfn):
    with pytest.raises((ClientError, ResponseParserError)):
        _execute_change_set(cfn, LONG_STACK, copy.deepcopy(MACHINE_TEMPLATE))
    fixed = copy.deepcopy(MACHINE_TEMPLATE)
    renamed = rehearse._shorten_generated_names(fixed, LONG_STACK)
    assert renamed == [("StudioTeardownProviderwaiterstatemachineF03E4B3C", "AWS::StepFunctions::StateMachine")]
    name = fixed["Resources"]["StudioTeardownProviderwaiterstatemachineF03E4B3C"]["Properties"]["StateMachineName"]
    assert len(name) <= 80 and name.startswith(f"{LONG_STACK}-StudioTeardown")
    assert _execute_change_set(cfn, LONG_STACK + "2", fixed) == "CREATE_COMPLETE"
    assert rehearse._shorten_generated_names(fixed, LONG_STACK) == []  # idempotent: named machines are left alone


def test_studio_types_moto_skips_get_attribute_values_of_the_right_shape():
    template = {"Resources": {
        "Domain": {"Type": "AWS::SageMaker::Domain", "Properties": {"DomainName": "team"}},
        "Profile": {"Type": "AWS::SageMaker::UserProfile",
                    "Properties": {"DomainId": {"Fn::GetAtt": ["Domain", "DomainId"]}, "UserProfileName": "alice"}},
        "Reader": {"Type": "AWS::IAM::Policy", "Properties": {"Resource": [
            {"Fn::GetAtt": ["Domain", "DomainArn"]}, {"Fn::GetAtt": ["Profile", "UserProfileArn"]}]}},
    }}
    counts = rehearse._replace_skipped_arns(template)
    assert template["Resources"]["Profile"]["Properties"]["DomainId"] == "d-domain"
    assert "domain/d-domain" in json.dumps(template["Resources"]["Reader"]["Properties"]["Resource"][0])
    assert "user-profile/rehearsal/alice" in json.dumps(template["Resources"]["Reader"]["Properties"]["Resource"][1])
    assert sorted(counts) == ["Domain", "Profile"]


# What the library synthesizes for a role: its grants in a customer-managed policy attached through `Roles`.
MANAGED_POLICY_TEMPLATE = {"Resources": {
    "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": "sagemaker.amazonaws.com"}}],
    }}},
    "RoleDefaultPolicyManaged": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
        "Description": "Permissions of Stack/Role",
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}]},
        "Roles": [{"Ref": "Role"}],
    }},
}}


def test_moto_cannot_delete_a_managed_policy_with_its_stack_and_the_inline_equivalent_works_around_it(cfn):
    # The bug: deleting the stack leaves the managed policy attached, so DeleteRole fails and the stack stays.
    assert _execute_change_set(cfn, "managed", copy.deepcopy(MANAGED_POLICY_TEMPLATE)) == "CREATE_COMPLETE"
    with pytest.raises(ClientError, match=r"must detach all policies first"):
        cfn.delete_stack(StackName="managed")

    template = copy.deepcopy(MANAGED_POLICY_TEMPLATE)
    assert rehearse._managed_policy_as_inline(template) == ["RoleDefaultPolicyManaged"]
    policy = template["Resources"]["RoleDefaultPolicyManaged"]
    assert policy["Type"] == "AWS::IAM::Policy"
    expected = MANAGED_POLICY_TEMPLATE["Resources"]["RoleDefaultPolicyManaged"]["Properties"]
    assert policy["Properties"]["PolicyDocument"] == expected["PolicyDocument"]
    assert policy["Properties"]["Roles"] == expected["Roles"]
    assert _execute_change_set(cfn, "inline", template) == "CREATE_COMPLETE"
    cfn.delete_stack(StackName="inline")
    stacks = cfn.list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in stacks if s["StackName"] == "inline"] == ["DELETE_COMPLETE"]
