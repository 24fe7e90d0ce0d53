"""EndpointMonitoring: CloudWatch alarms for every variant of an endpoint, one SNS topic, one dashboard.

Every alarm notifies the topic on ALARM and on OK. The topic is KMS-encrypted (its key lets CloudWatch publish) and
refuses non-TLS publishers. The dashboard is built from the very metric objects the alarms watch, so the graphs and
the alarms cannot drift apart. Cost: $0.10 per alarm per month (6 per instance variant, 4 per serverless variant)
and $3 per dashboard per month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from aws_cdk import (
    Duration,
    aws_cloudwatch as cloudwatch,
    aws_cloudwatch_actions as cw_actions,
    aws_iam as iam,
    aws_kms as kms,
    aws_sns as sns,
)
from constructs import Construct

from ..core._types import typed
from ..core import instance_types
from .endpoint_props import AlarmThresholds

INVOCATION_NAMESPACE = "AWS/SageMaker"
INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"


@dataclass(frozen=True)
class MonitoredVariant:
    name: str
    instance_type: str | None  # None for serverless variants


@dataclass
class VariantAlarms:
    """The alarms of one variant, by short name ("errors_5xx", "latency_p99", "rate_4xx", "cpu", ...)."""

    variant_name: str
    alarms: dict[str, cloudwatch.Alarm] = field(default_factory=dict)


class EndpointMonitoring(Construct):
    """Alarms, topic and dashboard for one endpoint.

    Keyword-only props:
        endpoint_name: the endpoint's name (a plain string or a token). Required.
        variants: the variants to watch. Required.
        thresholds: Default: AlarmThresholds().
        topic: where alarms go. Default: a new KMS-encrypted, SSL-only topic (subscribe to `.topic`).
        encryption_key: key for the new topic. Default: a new key with rotation enabled.
        dashboard: create a CloudWatch dashboard. Default: True.
    """

    @typed
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        variants: Sequence[MonitoredVariant],
        thresholds: AlarmThresholds | None = None,
        topic: sns.ITopic | None = None,
        encryption_key: kms.IKey | None = None,
        dashboard: bool = True,
    ) -> None:
        super().__init__(scope, id)
        self.endpoint_name = endpoint_name
        self.thresholds = thresholds or AlarmThresholds()
        if topic is None:
            key = encryption_key or kms.Key(
                self, "TopicKey", description=f"Encrypts the alarm topic of {self.node.path}", enable_key_rotation=True
            )
            # CloudWatch publishes alarm notifications to the encrypted topic with this key.
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                )
            )
            topic = sns.Topic(self, "Topic", master_key=key, enforce_ssl=True, display_name="SageMaker endpoint alarms")
        assert topic is not None
        self.topic: sns.ITopic = topic
        self._action = cw_actions.SnsAction(topic)
        self.variant_alarms: dict[str, VariantAlarms] = {}
        for variant in variants:
            self.variant_alarms[variant.name] = self._variant_alarms(variant)
        self.dashboard: cloudwatch.Dashboard | None = self._dashboard(variants) if dashboard else None

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        return [alarm for group in self.variant_alarms.values() for alarm in group.alarms.values()]

    def rollback_alarms(self, limit: int = 10) -> list[cloudwatch.Alarm]:
        """The alarms that roll back a blue/green update: 5XX errors first, then p99 latency (at most `limit`)."""
        ordered = [g.alarms["errors_5xx"] for g in self.variant_alarms.values()]
        ordered += [g.alarms["latency_p99"] for g in self.variant_alarms.values()]
        return ordered[:limit]

    def metric(
        self,
        metric_name: str,
        variant_name: str,
        *,
        statistic: str = "Sum",
        period: Duration = Duration.minutes(1),
        namespace: str = INVOCATION_NAMESPACE,
        label: str | None = None,
    ) -> cloudwatch.Metric:
        """A metric of one variant (dimensions EndpointName and VariantName)."""
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={"EndpointName": self.endpoint_name, "VariantName": variant_name},
            statistic=statistic,
            period=period,
            label=label,
        )

    def _alarm(
        self,
        variant: str,
        key: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        periods: int | None = None,
    ) -> cloudwatch.Alarm:
        periods = periods or self.thresholds.evaluation_periods
        alarm = cloudwatch.Alarm(
            self,
            f"{variant}-{key}",
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"{description} on variant {variant} of SageMaker endpoint",
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm

    def _variant_alarms(self, variant: MonitoredVariant) -> VariantAlarms:
        t = self.thresholds
        name = variant.name
        group = VariantAlarms(name)
        invocations = self.metric("Invocations", name)
        errors_4xx = self.metric("Invocation4XXErrors", name)
        group.alarms["errors_5xx"] = self._alarm(
            name,
            "Errors5xx",
            self.metric("Invocation5XXErrors", name),
            t.errors_5xx,
            f"Invocation5XXErrors >= {t.errors_5xx}/min",
            periods=min(3, t.evaluation_periods),
        )
        group.alarms["latency_p99"] = self._alarm(
            name,
            "LatencyP99",
            self.metric("ModelLatency", name, statistic="p99"),
            t.latency_p99_ms * 1000,  # ModelLatency is reported in microseconds
            f"p99 ModelLatency >= {t.latency_p99_ms} ms",
        )
        group.alarms["rate_4xx"] = self._alarm(
            name,
            "Rate4xx",
            cloudwatch.MathExpression(
                expression="IF(invocations > 0, 100 * errors / invocations, 0)",
                using_metrics={"invocations": invocations, "errors": errors_4xx},
                label="4XX rate (%)",
                period=Duration.minutes(1),
            ),
            t.rate_4xx_percent,
            f"4XX rate >= {t.rate_4xx_percent}%",
        )
        if variant.instance_type is None:
            group.alarms["model_setup_time"] = self._alarm(
                name,
                "ModelSetupTime",
                self.metric("ModelSetupTime", name, statistic="Maximum"),
                t.latency_p99_ms * 1000 * 10,
                "Serverless ModelSetupTime (cold start) >= 10x the latency threshold",
                periods=1,
            )
            return group
        cores = instance_types.vcpus(variant.instance_type)
        for key, metric_name, threshold in (
            ("cpu", "CPUUtilization", t.cpu_percent * cores),
            ("memory", "MemoryUtilization", t.memory_percent),
            ("disk", "DiskUtilization", t.disk_percent),
        ):
            group.alarms[key] = self._alarm(
                name,
                metric_name.replace("Utilization", ""),
                self.metric(metric_name, name, statistic="Average", namespace=INSTANCE_NAMESPACE),
                threshold,
                f"{metric_name} >= {threshold}%",
            )
        return group

    def metric_instance_count(self, variant_name: str) -> cloudwatch.Metric:
        """Instances reporting per minute (each instance reports CPUUtilization once a minute)."""
        return self.metric(
            "CPUUtilization", variant_name, statistic="SampleCount", namespace=INSTANCE_NAMESPACE, label="Instances"
        )

    def _dashboard(self, variants: Sequence[MonitoredVariant]) -> cloudwatch.Dashboard:
        board = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        for variant in variants:
            group = self.variant_alarms[variant.name]
            a = group.alarms
            invocations = a["rate_4xx"].metric
            widgets: list[cloudwatch.IWidget] = [
                cloudwatch.TextWidget(markdown=f"### Variant `{variant.name}`", width=24, height=1),
            ]
            row = [
                cloudwatch.GraphWidget(
                    title=f"{variant.name}: invocations", left=[*_using(invocations)], width=6
                ),
                cloudwatch.GraphWidget(
                    title=f"{variant.name}: p99 model latency",
                    left=[a["latency_p99"].metric],
                    left_annotations=[a["latency_p99"].to_annotation()],
                    width=6,
                ),
                cloudwatch.GraphWidget(
                    title=f"{variant.name}: errors",
                    left=[a["errors_5xx"].metric],
                    right=[a["rate_4xx"].metric],
                    left_annotations=[a["errors_5xx"].to_annotation()],
                    width=6,
                ),
            ]
            if variant.instance_type is not None:
                row.append(
                    cloudwatch.GraphWidget(
                        title=f"{variant.name}: instances",
                        left=[self.metric_instance_count(variant.name)],
                        right=[a["cpu"].metric, a["memory"].metric, a["disk"].metric],
                        width=6,
                    )
                )
            else:
                row.append(
                    cloudwatch.GraphWidget(
                        title=f"{variant.name}: cold starts", left=[a["model_setup_time"].metric], width=6
                    )
                )
            widgets.append(cloudwatch.Row(*row))
            board.add_widgets(*widgets)
        board.add_widgets(
            cloudwatch.AlarmStatusWidget(alarms=self.alarms, title="Alarms", width=24)
        )
        return board


def _using(expression: cloudwatch.IMetric) -> list[cloudwatch.IMetric]:
    """The raw invocation and 4XX metrics of the 4XX-rate expression (the same objects the alarm uses)."""
    if isinstance(expression, cloudwatch.MathExpression):
        return list(expression.using_metrics.values())
    return [expression]
