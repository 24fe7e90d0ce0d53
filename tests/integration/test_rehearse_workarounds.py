"""The template rewrites of scripts/rehearse.py for moto bugs, checked against moto itself (in process, no CDK CLI).

Each test first shows the bug on the unmodified template, so that it fails, and the workaround can go, once moto is
fixed.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import sys
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
