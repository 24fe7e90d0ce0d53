"""subscribe_email: an e-mail subscription to one of the library's topics, with a dead-letter queue.

Serverless-SNSRedrivePolicy (cdk-nag) asks every subscription for a dead-letter queue, and notices that cannot be
delivered are worth keeping. The queue (SQS-managed encryption, TLS only, 14 days) is created once per stack and
shared by every e-mail subscription made through this function. Cost: nothing while it is empty.
"""

from __future__ import annotations

import re

from aws_cdk import Duration, Stack, aws_sns as sns, aws_sns_subscriptions as subscriptions, aws_sqs as sqs
from constructs import Construct

from ._types import typed
from ._validation import PropErrors, acknowledge, is_token

DEAD_LETTERS_ID = "NotificationDeadLetters"
# One address: a local part and a dotted domain, no spaces, commas or angle brackets (SNS takes one per subscription).
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")


@typed
def subscribe_email(topic: sns.ITopic, address: str, *, scope: Construct | None = None) -> sqs.IQueue:
    """Subscribe `address` to `topic`; return the stack's notification dead-letter queue.

    scope: where the shared queue lives. Default: the topic's stack.
    """
    errors = PropErrors("subscribe_email")
    if not is_token(address):
        errors.check(
            bool(_EMAIL.fullmatch(address)),
            f"address ({address!r}) is not an e-mail address: give one address such as 'ml-oncall@example.com' "
            "(SNS would accept the subscription and fail to deliver)",
        )
    errors.raise_if_any()
    stack = Stack.of(scope or topic)
    queue = stack.node.try_find_child(DEAD_LETTERS_ID)
    if not isinstance(queue, sqs.Queue):
        queue = sqs.Queue(
            stack,
            DEAD_LETTERS_ID,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        for finding in ("AwsSolutions-SQS3", "Serverless-SQSRedrivePolicy"):
            acknowledge(queue, finding, "This queue is itself the dead-letter queue of the e-mail subscriptions.")
        acknowledge(
            queue,
            "CKV_AWS_27",
            "Dead-letter queue encrypted with SQS-managed keys (SSE-SQS): SNS delivers undeliverable notices to it "
            "without a key grant, and they hold alarm and job-state text, not data.",
        )
    topic.add_subscription(subscriptions.EmailSubscription(address, dead_letter_queue=queue))
    return queue
