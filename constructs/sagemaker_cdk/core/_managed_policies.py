"""Roles keep their grants in customer-managed policies, not inline ones (HIPAA/NIST IAMNoInlinePolicy).

aws-cdk-lib writes every grant (`bucket.grant_read(role)`, `role.add_to_policy(...)`) into the role's `DefaultPolicy`,
an inline AWS::IAM::Policy. The `ManagedRolePolicies` Aspect (one per stack, installed with the stack's first
acknowledgement) moves that policy, at synth, into an AWS::IAM::ManagedPolicy attached to the same role, under the
same construct (`<Role>/DefaultPolicy/Managed`): the document is the same object, so the grants stay exact, and
everything that depended on the default policy (a function, a state machine, a model) depends on the managed policy.

Only roles the library creates are converted (those under a sagemaker_cdk construct), plus aws-cdk-lib's framework
roles (BucketDeployment's handler role, say) in the same stack; a role of yours keeps its inline policy.

A managed policy document holds at most 6,144 characters (IAM quotas: "Managed policy size", whitespace excluded),
against 10,240 for a role's inline policies together. A document that could exceed it once CloudFormation resolves
its ARNs is split into several managed policies (`Managed`, `Managed2`, ...), statements kept whole and in order.
"""

from __future__ import annotations

import json
from typing import Any

import jsii
from aws_cdk import Annotations, Aspects, IAspect, Stack, aws_iam as iam

from ._scanner_rules import FRAMEWORK_ID

# IAM quota "Managed policy size": 6,144 characters, whitespace excluded (IAM User Guide, IAM and STS quotas).
MANAGED_POLICY_LIMIT = 6144

# Pessimistic lengths for values CloudFormation fills in: the longest partition and region names, a 12-digit
# account, and an ARN or name with room for a long resource name.
_PSEUDO = {
    "AWS::Partition": "aws-us-gov",
    "AWS::Region": "ap-southeast-5",
    "AWS::AccountId": "123456789012",
    "AWS::URLSuffix": "amazonaws.com.cn",
    "AWS::StackName": "s" * 128,
    "AWS::StackId": "s" * 160,
}
_ATTRIBUTE = "a" * 160
_REF = "r" * 128


def estimated_size(document: Any) -> int:
    """Characters of `document` (a resolved policy JSON) once CloudFormation resolves it, estimated from above."""
    return len(json.dumps(_fill(document), separators=(",", ":")))


def _fill(node: Any) -> Any:
    if isinstance(node, dict):
        if len(node) == 1:
            [(key, value)] = node.items()
            if key == "Ref":
                return _PSEUDO.get(value, _REF)
            if key == "Fn::Join":
                separator, parts = value
                filled = [_fill(p) for p in parts]
                return separator.join(v if isinstance(v, str) else json.dumps(v) for v in filled)
            if key.startswith("Fn::"):
                return _ATTRIBUTE
        return {k: _fill(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v) for v in node]
    return node


def split_statements(statements: list[Any], limit: int = MANAGED_POLICY_LIMIT) -> list[list[Any]]:
    """Consecutive groups of `statements` whose documents each stay within `limit` (estimated)."""
    groups: list[list[Any]] = [[]]
    for statement in statements:
        candidate = groups[-1] + [statement]
        if groups[-1] and estimated_size({"Version": "2012-10-17", "Statement": candidate}) > limit:
            groups.append([statement])
        else:
            groups[-1] = candidate
    return groups


def _is_library_construct(scope: Any) -> bool:
    """A sagemaker_cdk construct, or a subclass of one defined in your code."""
    return any(cls.__module__.startswith("sagemaker_cdk.") for cls in type(scope).__mro__)


def converts(role: iam.Role) -> bool:
    """True for a role under a sagemaker_cdk construct, or one of aws-cdk-lib's framework singletons."""
    return any(_is_library_construct(s) or FRAMEWORK_ID.match(s.node.id) for s in role.node.scopes[1:])


@jsii.implements(IAspect)
class ManagedRolePolicies:
    """Moves each converted role's DefaultPolicy into customer-managed policies (see the module docstring)."""

    @classmethod
    def of(cls, scope: Any) -> "ManagedRolePolicies":
        stack = Stack.of(scope)
        for aspect in Aspects.of(stack).all:
            if isinstance(aspect, cls):
                return aspect
        aspect = cls()
        Aspects.of(stack).add(aspect)
        return aspect

    def visit(self, node: Any) -> None:
        if not isinstance(node, iam.Role) or not converts(node):
            return
        policy = node.node.try_find_child("DefaultPolicy")
        if not isinstance(policy, iam.Policy) or policy.node.try_find_child("Resource") is None:
            return
        if policy.document.is_empty:  # nothing granted (yet): CDK synthesizes no policy either
            return
        stack = Stack.of(node)
        document = stack.resolve(policy.document)
        statements = document.get("Statement", [])
        groups = [statements] if estimated_size(document) <= MANAGED_POLICY_LIMIT else split_statements(statements)
        if any(estimated_size({**document, "Statement": g}) > MANAGED_POLICY_LIMIT for g in groups):
            Annotations.of(node).add_warning_v2(
                "sagemaker-cdk:managed-policy-size",
                "A single statement of this role's policy may exceed IAM's 6,144-character managed policy limit "
                "once CloudFormation resolves its ARNs: split its resources over several grants.",
            )
        for index, group in enumerate(groups):
            iam.CfnManagedPolicy(
                policy,
                "Managed" if index == 0 else f"Managed{index + 1}",
                # One group: the live document (grants added later still land in it); several: resolved slices.
                policy_document=policy.document if len(groups) == 1 else {**document, "Statement": group},
                roles=[node.role_name],
                description=f"Permissions of {node.node.path}"[:1000],
            )
        policy.node.try_remove_child("Resource")
