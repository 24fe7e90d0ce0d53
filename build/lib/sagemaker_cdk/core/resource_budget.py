"""ResourceBudget: a warning when a stack nears CloudFormation's 500-resource limit.

CloudFormation rejects a template with more than 500 resources at deploy time; this aspect says so at synth time,
while moving constructs to another stack is still cheap. It is registered once per stack by the library's
constructs, and costs one walk of the stack's construct tree.
"""

from __future__ import annotations

import jsii
from aws_cdk import Annotations, Aspects, CfnResource, IAspect, Stack
from constructs import IConstruct

CLOUDFORMATION_RESOURCE_LIMIT = 500


@jsii.implements(IAspect)
class ResourceBudget:
    """Warn when a stack holds at least `warn_at` resources (default: 90% of 500)."""

    def __init__(self, stack: Stack, warn_at: int = int(CLOUDFORMATION_RESOURCE_LIMIT * 0.9)) -> None:
        self.stack = stack
        self.warn_at = warn_at

    def visit(self, node: IConstruct) -> None:
        if node is not self.stack:
            return
        count = sum(
            1 for c in self.stack.node.find_all() if isinstance(c, CfnResource) and Stack.of(c) is self.stack
        )
        if count >= self.warn_at:
            Annotations.of(self.stack).add_warning_v2(
                "sagemaker-cdk:resource-budget",
                f"Stack {self.stack.stack_name} has {count} resources; CloudFormation allows "
                f"{CLOUDFORMATION_RESOURCE_LIMIT}. Move some endpoints to another stack.",
            )

    @classmethod
    def watch(cls, stack: Stack) -> None:
        """Register the aspect on `stack` once."""
        if any(isinstance(a, cls) for a in Aspects.of(stack).all):
            return
        Aspects.of(stack).add(cls(stack))
