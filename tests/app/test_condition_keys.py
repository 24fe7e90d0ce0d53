"""Condition keys that apply to their actions (issue 11, items 3 and 4): an Allow whose condition key does not apply
to the action never matches, so the permission silently disappears at run time.

- kms:GrantIsForAWSResource is defined for kms:CreateGrant, kms:ListGrants and kms:RevokeGrant only (Service
  Authorization Reference, AWS KMS).
- sagemaker:OutputKmsKey is deprecated on CreateTransformJob in favour of sagemaker:OutputKmsKeyArn (Service
  Authorization Reference, Amazon SageMaker AI).
"""

from __future__ import annotations

from typing import Any, Iterator

GRANT_ACTIONS = {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
DEPRECATED_KEYS = {"sagemaker:OutputKmsKey", "sagemaker:VolumeKmsKey"}


def _statements(template: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for resource in template["Resources"].values():
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield from resource["Properties"]["PolicyDocument"]["Statement"]
        elif resource["Type"] == "AWS::IAM::Role":
            for policy in resource["Properties"].get("Policies", []):
                yield from policy["PolicyDocument"]["Statement"]


def _actions(statement: dict[str, Any]) -> set[str]:
    action = statement.get("Action", [])
    return set(action if isinstance(action, list) else [action])


def test_grant_is_for_aws_resource_only_conditions_grant_actions(reference_templates: dict[str, Any]) -> None:
    for name, template in reference_templates.items():
        for statement in _statements(template):
            keys = {k for block in statement.get("Condition", {}).values() for k in block}
            if "kms:GrantIsForAWSResource" in keys:
                assert _actions(statement) <= GRANT_ACTIONS, (name, statement)


def test_no_deprecated_sagemaker_condition_keys(reference_templates: dict[str, Any]) -> None:
    for name, template in reference_templates.items():
        for statement in _statements(template):
            keys = {k for block in statement.get("Condition", {}).values() for k in block}
            assert not keys & DEPRECATED_KEYS, (name, statement)


def test_create_transform_job_is_pinned_to_the_output_key_arn(reference_templates: dict[str, Any]) -> None:
    found = [s for s in _statements(reference_templates["inference"]) if "sagemaker:CreateTransformJob" in _actions(s)]
    assert found
    for statement in found:
        assert "sagemaker:OutputKmsKeyArn" in statement["Condition"]["ArnEquals"]


def test_describe_key_is_granted_unconditionally_where_endpoints_are_updated(reference_templates: dict[str, Any]) -> None:
    describe = [s for s in _statements(reference_templates["training"]) if "kms:DescribeKey" in _actions(s)]
    assert describe and all("Condition" not in s for s in describe)
