"""Updates that change the instance type of an autoscaled variant, or remove one, deploy without manual steps
(issue 11 item 6): the template orders Release -> Endpoint -> ScalableTarget -> Restore -> ScalingPolicy, and only
the policies' names (not any logical id) follow the instance type."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

import support
from sagemaker_cdk import ArtifactBucket, AsyncEndpoint, AutoScaling, BacklogScaling, RealtimeEndpoint, Variant
from sagemaker_cdk.inference._scaling_guard import instance_type_digest


def _realtime(instance_type: str = "ml.m5.large", *, nag: bool = False, autoscaled: bool = True) -> dict[str, Any]:
    app = support.new_app()
    stack = cdk.Stack(app, "Guarded")
    RealtimeEndpoint(stack, "Endpoint", variants=[
        Variant(model=support.xgboost_model(stack, "Champion"), name="champion", weight=9, instance_type=instance_type,
                autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=20) if autoscaled else None),
        Variant(model=support.xgboost_model(stack, "Challenger"), name="challenger", weight=1),
    ])
    assembly = support.synth_nag_clean(app) if nag else app.synth()
    return assembly.get_stack_by_name("Guarded").template


@pytest.fixture(scope="module")
def realtime() -> dict[str, Any]:
    return _realtime(nag=True)


def _of(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _dependencies(template: dict[str, Any]) -> dict[str, set[str]]:
    """Logical id -> what CloudFormation must finish first (DependsOn, Ref and Fn::GetAtt)."""
    resources = template["Resources"]

    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = set()
            if "Ref" in node and node["Ref"] in resources:
                found.add(node["Ref"])
            if "Fn::GetAtt" in node:
                found.add(node["Fn::GetAtt"][0])
            for value in node.values():
                found |= refs(value)
            return found
        if isinstance(node, list):
            return set().union(*map(refs, node)) if node else set()
        return set()

    return {k: set(v.get("DependsOn", [])) | refs(v.get("Properties", {})) for k, v in resources.items()}


def _after(template: dict[str, Any], later: str, earlier: str) -> bool:
    """True when `later` (transitively) waits for `earlier`."""
    graph, seen, stack = _dependencies(template), set(), [later]
    while stack:
        node = stack.pop()
        for dep in graph.get(node, ()):
            if dep == earlier:
                return True
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return False


def _guard(template: dict[str, Any], action: str) -> str:
    (logical_id,) = [k for k, v in _of(template, "Custom::ScalingGuard").items()
                     if v["Properties"]["Action"] == action]
    return logical_id


def test_the_update_is_ordered_release_endpoint_target_restore_policy(realtime: dict[str, Any]) -> None:
    t = realtime
    release, restore = _guard(t, "release"), _guard(t, "restore")
    (endpoint,) = _of(t, "AWS::SageMaker::Endpoint")
    (target,) = _of(t, "AWS::ApplicationAutoScaling::ScalableTarget")
    (policy,) = _of(t, "AWS::ApplicationAutoScaling::ScalingPolicy")
    chain = [release, endpoint, target, restore, policy]
    for earlier, later in zip(chain, chain[1:]):
        assert _after(t, later, earlier), f"{later} must wait for {earlier}"
    for later, earlier in zip(chain, chain[1:]):
        assert not _after(t, later, earlier), f"{later} must not wait for {earlier} (cycle)"


def test_both_guards_carry_the_autoscaled_variants_instance_types(realtime: dict[str, Any]) -> None:
    for action in ("release", "restore"):
        props = realtime["Resources"][_guard(realtime, action)]["Properties"]
        assert props["EndpointName"] == "Guarded-Endpoint"
        assert props["Targets"] == [{"ResourceId": "endpoint/Guarded-Endpoint/variant/champion",
                                     "InstanceType": "ml.m5.large", "MinCapacity": 2, "MaxCapacity": 4}]


def test_only_policy_names_follow_the_instance_type(realtime: dict[str, Any]) -> None:
    changed = _realtime("ml.c5.xlarge")
    assert set(changed["Resources"]) == set(realtime["Resources"])  # no logical id moves: targets keep their record
    (before,) = _of(realtime, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    (after,) = _of(changed, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert before["Properties"]["PolicyName"].endswith("-" + instance_type_digest("ml.m5.large"))
    assert after["Properties"]["PolicyName"].endswith("-" + instance_type_digest("ml.c5.xlarge"))
    (target_before,) = _of(realtime, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    (target_after,) = _of(changed, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert target_before == target_after  # CloudFormation does not touch the target: Restore re-registers it
    release = changed["Resources"][_guard(changed, "release")]["Properties"]
    assert release["Targets"][0]["InstanceType"] == "ml.c5.xlarge"  # so Release and Restore receive an Update


def test_the_guard_function_is_least_privilege(realtime: dict[str, Any]) -> None:
    (function,) = [f for f in _of(realtime, "AWS::Lambda::Function").values()
                   if f["Properties"]["Handler"] == "scaling_guard.handler"]
    assert "ReservedConcurrentExecutions" not in function["Properties"]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = {**_of(realtime, "AWS::IAM::Policy"), **_of(realtime, "AWS::IAM::ManagedPolicy")}  # customer-managed
    statements = [s for p in policies.values()
                  if {"Ref": role} in p["Properties"]["Roles"] for s in p["Properties"]["PolicyDocument"]["Statement"]]
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"application-autoscaling:DeregisterScalableTarget", "application-autoscaling:RegisterScalableTarget",
            "sagemaker:DescribeEndpoint"} <= actions
    assert not any(a.endswith(":*") for a in actions)
    (scaling,) = [s for s in statements if "application-autoscaling:RegisterScalableTarget" in s["Action"]]
    assert scaling["Condition"] == {"StringEquals": {
        "application-autoscaling:service-namespace": "sagemaker",
        "application-autoscaling:scalable-dimension": "sagemaker:variant:DesiredInstanceCount"}}


def test_no_autoscaling_no_guard() -> None:
    t = _realtime(autoscaled=False)
    assert _of(t, "Custom::ScalingGuard") == {}
    assert "DependsOn" not in next(iter(_of(t, "AWS::SageMaker::Endpoint").values()))


def test_the_async_endpoints_policies_and_step_alarm_follow_the_guard() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "GuardedAsync")
    AsyncEndpoint(stack, "Async", bucket=ArtifactBucket(stack, "Bucket"), scaling=BacklogScaling(max_capacity=3),
                  variants=[Variant(model=support.xgboost_model(stack, "Model"), name="async")])
    t = support.synth_nag_clean(app).get_stack_by_name("GuardedAsync").template
    restore = _guard(t, "restore")
    policies = _of(t, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert {p["Properties"]["PolicyType"] for p in policies.values()} == {"TargetTrackingScaling", "StepScaling"}
    for logical_id, policy in policies.items():
        assert _after(t, logical_id, restore)
        assert policy["Properties"]["PolicyName"].endswith("-" + instance_type_digest("ml.m5.large"))
    # The scale-from-zero alarm acts on the (replaced) step policy through its Ref, so it follows the new ARN.
    alarms = [a for a in _of(t, "AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == "HasBacklogWithoutCapacity"]
    assert any({"Ref": k} in a["Properties"].get("AlarmActions", []) for a in alarms for k in policies)
    assert support.lint(t, "GuardedAsync") == []
