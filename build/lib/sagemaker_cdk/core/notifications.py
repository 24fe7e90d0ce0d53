"""subscribe_email: an e-mail subscription to one of the library's topics, with a dead-letter queue.

Serverless-SNSRedrivePolicy (cdk-nag) asks every subscription for a dead-letter queue, and notices that cannot be
delivered are worth keeping. The queue (SQS-managed encryption, TLS only, 14 days) is created once per stack and
shared by every e-mail subscription made through this function. Cost: nothing while it is empty.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack, aws_sns as sns, aws_sns_subscriptions as subscriptions, aws_sqs as sqs
from constructs import Construct

from ._validation import acknowledge

DEAD_LETTERS_ID = "NotificationDeadLetters"


def subscribe_email(topic: sns.ITopic, address: str, *, scope: Construct | None = None) -> sqs.IQueue:
    """Subscribe `address` to `topic`; return the stack's notification dead-letter queue.

    scope: where the shared queue lives. Default: the topic's stack.
    """
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
    topic.add_subscription(subscriptions.EmailSubscription(address, dead_letter_queue=queue))
    return queue
