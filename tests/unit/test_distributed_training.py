"""Multi-instance training and tuning in a VPC (issue 11 item 7): the instances of one job reach each other through
a security group of the job's own, inter-container traffic encryption is on by default with the IPsec rules it
needs (UDP 500 and ESP, IP protocol 50), and there is a documented opt-out."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

import support
from sagemaker_cdk import ArtifactBucket, ModelNetwork
from sagemaker_cdk.training.training_job import TrainingJob
from sagemaker_cdk.training.training_props import Algorithm
from sagemaker_cdk.training.tuning_job import IntegerRange, Objective, TuningJob
from test_training_requests import assert_valid_requests, definition_of, responder, run


def _stack(*, instance_count: int, tune: bool = False, **kwargs: Any) -> tuple[dict[str, Any], TrainingJob]:
    app = support.new_app()
    stack = cdk.Stack(app, "Distributed")
    network = ModelNetwork(stack, "Net", interface_endpoints=False)
    job = TrainingJob(stack, "Train", bucket=ArtifactBucket(stack, "Bucket"), network=network,
                      algorithm=Algorithm.built_in("xgboost", "1.7-1"), instance_count=instance_count,
                      hyperparameters={"objective": "binary:logistic", "num_round": 10}, **kwargs)
    if tune:
        TuningJob(stack, "Tune", training=job, objective=Objective("validation:auc", "Maximize"),
                  ranges=[IntegerRange("max_depth", 3, 6)], max_jobs=2, max_parallel_jobs=2)
    template = support.synth_nag_clean(app).get_stack_by_name("Distributed").template
    return template, job


@pytest.fixture(scope="module")
def two_instances() -> tuple[dict[str, Any], TrainingJob]:
    return _stack(instance_count=2, tune=True)


def _group_id(template: dict[str, Any]) -> str:
    (logical_id,) = [k for k, v in template["Resources"].items()
                     if v["Type"] == "AWS::EC2::SecurityGroup" and k.startswith("TrainTrainingSecurityGroup")]
    return logical_id


def _self_rules(template: dict[str, Any], kind: str, peer: str) -> set[tuple[str, Any, Any]]:
    group = _group_id(template)
    rules = set()
    for resource in template["Resources"].values():
        props = resource["Properties"] if resource["Type"] == f"AWS::EC2::SecurityGroup{kind}" else None
        if props and props["GroupId"] == {"Fn::GetAtt": [group, "GroupId"]}:
            assert props[peer] == {"Fn::GetAtt": [group, "GroupId"]}  # from / to the group itself, nothing else
            rules.add((str(props["IpProtocol"]), props.get("FromPort"), props.get("ToPort")))
    return rules


ALL, IKE, ESP = ("-1", None, None), ("udp", 500, 500), ("50", None, None)


def test_two_instances_get_a_group_that_talks_to_itself_with_ipsec(two_instances: Any) -> None:
    template, job = two_instances
    assert _self_rules(template, "Ingress", "SourceSecurityGroupId") == {ALL, IKE, ESP}
    assert _self_rules(template, "Egress", "DestinationSecurityGroupId") == {ALL, IKE, ESP}
    group = template["Resources"][_group_id(template)]["Properties"]
    assert "SecurityGroupIngress" not in group  # no rule from anywhere else
    assert "SecurityGroupEgress" not in group  # egress only to itself (the rules above)
    assert job.inter_container_encryption is True


def test_the_training_request_uses_both_groups_and_encrypts(two_instances: Any) -> None:
    template, _ = two_instances
    machine = next(k for k, v in template["Resources"].items()
                   if v["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith("Train"))
    result = run(definition_of(template, machine), {}, responder())
    assert_valid_requests(result)
    (request,) = result.requests("CreateTrainingJob")
    assert request["EnableInterContainerTrafficEncryption"] is True
    assert request["ResourceConfig"]["InstanceCount"] == 2
    assert len(request["VpcConfig"]["SecurityGroupIds"]) == 2


def test_the_tuning_request_carries_the_same_network_and_encryption(two_instances: Any) -> None:
    template, _ = two_instances
    machine = next(k for k, v in template["Resources"].items()
                   if v["Type"] == "AWS::StepFunctions::StateMachine" and k.startswith("Tune"))
    result = run(definition_of(template, machine), {}, responder(metric=0.9))
    assert_valid_requests(result)
    (request,) = result.requests("CreateHyperParameterTuningJob")
    definition = request["TrainingJobDefinition"]
    assert definition["EnableInterContainerTrafficEncryption"] is True
    assert definition["ResourceConfig"]["InstanceCount"] == 2
    assert len(definition["VpcConfig"]["SecurityGroupIds"]) == 2


def test_the_execution_role_may_place_interfaces_in_the_training_group(two_instances: Any) -> None:
    template, _ = two_instances
    group = _group_id(template)
    statements = [s for r in template["Resources"].values() if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
                  for s in r["Properties"]["PolicyDocument"]["Statement"]]
    assert any(s["Action"] == "ec2:CreateNetworkInterface" and f'"{group}"' in str(s["Resource"]).replace("'", '"')
               for s in statements)


def test_the_opt_out_keeps_the_instances_connected_without_ipsec() -> None:
    template, job = _stack(instance_count=3, inter_container_encryption=False)
    assert _self_rules(template, "Ingress", "SourceSecurityGroupId") == {ALL}
    assert job.inter_container_encryption is False
    body = job.training_request()
    assert body["EnableInterContainerTrafficEncryption"] is False


def test_a_single_instance_needs_no_group_and_no_encryption() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Single")
    job = TrainingJob(stack, "Train", bucket=ArtifactBucket(stack, "Bucket"),
                      network=ModelNetwork(stack, "Net", interface_endpoints=False),
                      algorithm=Algorithm.built_in("xgboost", "1.7-1"))
    assert job.training_security_group is None and job.inter_container_encryption is False
    assert job.training_request()["EnableInterContainerTrafficEncryption"] is False


def test_the_opt_out_must_be_a_bool() -> None:
    stack = cdk.Stack(support.new_app(), "Bad")
    with pytest.raises(TypeError, match=r"inter_container_encryption must be True or False, got str 'no'"):
        TrainingJob(stack, "Train", bucket=ArtifactBucket(stack, "Bucket"),
                    algorithm=Algorithm.built_in("xgboost", "1.7-1"), inter_container_encryption="no")


def test_template_lints_clean(two_instances: Any) -> None:
    template, _ = two_instances
    assert support.lint(template, "Distributed") == []
