"""ResourceBudget: a warning when a stack nears CloudFormation's 500-resource limit, and an error past it.

CloudFormation rejects a template with more than 500 resources at deploy time; this aspect says so at synth time,
while moving constructs to another stack is still cheap, and stops synthesis past the limit with the fix. It is registered once per stack by the library's
constructs, and costs one walk of the stack's construct tree.
"""

from __future__ import annotations

import jsii
from aws_cdk import Annotations, Aspects, CfnResource, IAspect, Stack
from constructs import IConstruct

from ._types import typed

CLOUDFORMATION_RESOURCE_LIMIT = 500


class ResourceLimitExceeded(ValueError):
    """A stack holds more resources than CloudFormation accepts in one template."""


@jsii.implements(IAspect)
class ResourceBudget:
    """Warn when a stack holds at least `warn_at` resources (default: 90% of 500); raise past 500.

    The error is raised while the app synthesizes (`app.synth()`, `cdk synth`), before aws-cdk-lib's own
    TooManyResourcesInStack. Synthesis runs in the jsii kernel, so Python sees it as a RuntimeError carrying this
    message.
    """

    @typed
    def __init__(self, stack: Stack, warn_at: int = int(CLOUDFORMATION_RESOURCE_LIMIT * 0.9)) -> None:
        self.stack = stack
        self.warn_at = warn_at

    def visit(self, node: IConstruct) -> None:
        if node is not self.stack:
            return
        count = sum(
            1 for c in self.stack.node.find_all() if isinstance(c, CfnResource) and Stack.of(c) is self.stack
        )
        if count > CLOUDFORMATION_RESOURCE_LIMIT:
            # Aspects run before CDK renders the template, where it would stop with its own TooManyResourcesInStack.
            raise ResourceLimitExceeded(
                f"sagemaker-cdk: stack {self.stack.node.path} has {count} resources, over CloudFormation's limit of "
                f"{CLOUDFORMATION_RESOURCE_LIMIT} per template (its deployment would be rejected): move some "
                "endpoints, pipelines or APIs into another Stack (or a NestedStack), e.g. one stack per endpoint"
            )
        if count >= self.warn_at:
            Annotations.of(self.stack).add_warning_v2(
                "sagemaker-cdk:resource-budget",
                f"Stack {self.stack.stack_name} has {count} resources; CloudFormation allows "
                f"{CLOUDFORMATION_RESOURCE_LIMIT}. Move some endpoints to another stack.",
            )

    @classmethod
    @typed
    def watch(cls, stack: Stack) -> None:
        """Register the aspect on `stack` once."""
        if any(isinstance(a, cls) for a in Aspects.of(stack).all):
            return
        Aspects.of(stack).add(cls(stack))
