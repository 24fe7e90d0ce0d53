"""Golden values: names and alarm settings users depend on across releases, written as literals.

A change to any of these is a deliberate, visible break: update the literal AND record it in CHANGELOG.md. Batch
and Neo job names are idempotency keys (the same object must map to the same job after a deploy), endpoint names
are what clients call, and alarm periods are what on-call people tuned their paging to.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """Logical id -> properties. Logical ids are CloudFormation's identity: a change replaces the resource."""
    return {logical_id: r["Properties"] for logical_id, r in template["Resources"].items() if r["Type"] == type_}


def _policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every policy document: library roles keep their grants in customer-managed policies (core/_managed_policies.py),
    aws-cdk-lib's and the user's roles in inline ones."""
    return {**_resources(template, "AWS::IAM::ManagedPolicy"), **_resources(template, "AWS::IAM::Policy")}


def _env(template: dict[str, Any], logical_prefix: str) -> dict[str, Any]:
    for logical_id, r in template["Resources"].items():
        if r["Type"] == "AWS::Lambda::Function" and logical_id.startswith(logical_prefix):
            return r["Properties"]["Environment"]["Variables"]
    raise AssertionError(f"no function {logical_prefix}*")


def test_endpoint_names(reference_templates: dict[str, Any]) -> None:
    names = {
        key: sorted(p.get("EndpointName") for p in _resources(t, "AWS::SageMaker::Endpoint").values())
        for key, t in reference_templates.items()
    }
    assert names["inference"] == ["SageMakerCdkInference-Endpoint"]
    assert names["elastic"] == ["SageMakerCdkElastic-AsyncEndpoint", "SageMakerCdkElastic-ServerlessEndpoint"]


def test_endpoint_configs_are_never_named(reference_templates: dict[str, Any]) -> None:
    for template in reference_templates.values():
        for path, props in _resources(template, "AWS::SageMaker::EndpointConfig").items():
            assert "EndpointConfigName" not in props, path


def test_batch_and_neo_job_name_prefixes(reference_templates: dict[str, Any]) -> None:
    assert _env(reference_templates["inference"], "BatchTransformFunction")["JOB_NAME_PREFIX"] == "batchtransform-76612723"
    assert _env(reference_templates["neo"], "CompilationFunction")["JOB_NAME_PREFIX"] == "compilation-aa5cdf48"


@pytest.fixture(scope="module")
def batch_handler() -> Any:
    sys.path.insert(0, str(ROOT / "lambda" / "batch_transform_trigger"))
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import batch_transform_trigger

    return batch_transform_trigger


# (prefix, bucket, key, version id) -> the transform job name; sha256 over bucket NUL key NUL version.
GOLDEN_BATCH_NAMES = [
    (("batchtransform-76612723", "my-bucket", "batch/input/2026-11-30/scores.csv", None), "batchtransform-76612723-scores-4fcfba6e513c019e960b"),
    (("batchtransform-76612723", "my-bucket", "batch/input/2026-11-30/scores.csv", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"), "batchtransform-76612723-scores-0b97a9b28becac6c33bb"),
    (("batchtransform-76612723", "my-bucket", "batch/input/Ünïcode file+name.csv", None), "batchtransform-76612723-n-code-file-name-64eaac987d3819d3a556"),
    (("batchtransform-76612723", "my-bucket", "batch/input/" + "a" * 200 + ".csv", None), "batchtransform-76612723-aaaaaaaaaaaaaaaaaa-224824f95e69e6602c69"),
]


@pytest.mark.parametrize("args, expected", GOLDEN_BATCH_NAMES)
def test_batch_job_names(batch_handler: Any, args: tuple, expected: str) -> None:
    assert batch_handler.job_name(*args) == expected


# logical id -> (MetricName or "expression", Threshold, EvaluationPeriods, DatapointsToAlarm, Period or None)
_VARIANT_ALARMS = {
    "Errors5xx": ("Invocation5XXErrors", 1, 3, 3, 60),
    "LatencyP99": ("ModelLatency", 1000000, 5, 5, 60),
    "Rate4xx": ("expression", 5, 5, 5, None),
    "CPU": ("CPUUtilization", 160, 5, 5, 60),
    "Memory": ("MemoryUtilization", 85, 5, 5, 60),
    "Disk": ("DiskUtilization", 80, 5, 5, 60),
}
GOLDEN_ENDPOINT_ALARMS = {
    "inference": {
        "EndpointMonitoringchampionErrors5xx7A2FFCEE": _VARIANT_ALARMS["Errors5xx"],
        "EndpointMonitoringchampionLatencyP993FD74BFD": _VARIANT_ALARMS["LatencyP99"],
        "EndpointMonitoringchampionRate4xx5E2AC50D": _VARIANT_ALARMS["Rate4xx"],
        "EndpointMonitoringchampionCPUEEBFF0A2": _VARIANT_ALARMS["CPU"],
        "EndpointMonitoringchampionMemoryA75927B0": _VARIANT_ALARMS["Memory"],
        "EndpointMonitoringchampionDiskE1CB6C02": _VARIANT_ALARMS["Disk"],
        "EndpointMonitoringchallengerErrors5xxA27C5800": _VARIANT_ALARMS["Errors5xx"],
        "EndpointMonitoringchallengerLatencyP999F182AEC": _VARIANT_ALARMS["LatencyP99"],
        "EndpointMonitoringchallengerRate4xxD26A8BF0": _VARIANT_ALARMS["Rate4xx"],
        "EndpointMonitoringchallengerCPU7744767B": _VARIANT_ALARMS["CPU"],
        "EndpointMonitoringchallengerMemory0D527434": _VARIANT_ALARMS["Memory"],
        "EndpointMonitoringchallengerDiskEF2E0F24": _VARIANT_ALARMS["Disk"],
    },
    "elastic": {
        "AsyncEndpointMonitoringasyncErrors5xx177C2DD7": _VARIANT_ALARMS["Errors5xx"],
        "AsyncEndpointMonitoringasyncLatencyP99BD1072F5": _VARIANT_ALARMS["LatencyP99"],
        "AsyncEndpointMonitoringasyncRate4xx285DAE41": _VARIANT_ALARMS["Rate4xx"],
        "AsyncEndpointMonitoringasyncCPUE875A0C3": _VARIANT_ALARMS["CPU"],
        "AsyncEndpointMonitoringasyncMemory3AABC758": _VARIANT_ALARMS["Memory"],
        "AsyncEndpointMonitoringasyncDisk435F29FE": _VARIANT_ALARMS["Disk"],
        "AsyncEndpointMonitoringBacklog56C538FF": ("ApproximateBacklogSize", 100, 5, 5, 60),
        "AsyncEndpointMonitoringOldestRequestAge1C48FA93": ("ApproximateAgeOfOldestRequest", 1800, 5, 5, 60),
        "ServerlessEndpointMonitoringserverlessErrors5xx6D9D8472": _VARIANT_ALARMS["Errors5xx"],
        "ServerlessEndpointMonitoringserverlessLatencyP99F580FC8E": _VARIANT_ALARMS["LatencyP99"],
        "ServerlessEndpointMonitoringserverlessRate4xx7CAA070A": _VARIANT_ALARMS["Rate4xx"],
        "ServerlessEndpointMonitoringserverlessModelSetupTime0FB52C69": ("ModelSetupTime", 10000000, 1, 1, 60),
    },
}


@pytest.mark.parametrize("stack", sorted(GOLDEN_ENDPOINT_ALARMS))
def test_endpoint_alarm_settings(reference_templates: dict[str, Any], stack: str) -> None:
    alarms = {
        path: (
            p.get("MetricName", "expression" if "Metrics" in p else None),
            p["Threshold"],
            p["EvaluationPeriods"],
            p.get("DatapointsToAlarm"),
            p.get("Period"),
        )
        for path, p in _resources(reference_templates[stack], "AWS::CloudWatch::Alarm").items()
        if "Monitoring" in path
    }
    assert alarms == GOLDEN_ENDPOINT_ALARMS[stack]


def test_every_alarm_has_an_action(reference_templates: dict[str, Any]) -> None:
    for template in reference_templates.values():
        for path, p in _resources(template, "AWS::CloudWatch::Alarm").items():
            assert p.get("AlarmActions"), path


def test_every_pass_role_is_conditioned_on_the_service(reference_templates: dict[str, Any]) -> None:
    # Catches CDK's plain grant_pass_role (no iam:PassedToService) anywhere, tuning included.
    seen = 0
    for template in reference_templates.values():
        for path, p in _policies(template).items():
            for statement in p["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if "iam:PassRole" in actions:
                    seen += 1
                    assert statement.get("Condition", {}).get("StringEquals", {}).get("iam:PassedToService"), path
    assert seen >= 5


def test_tuning_workflow_passes_only_the_training_role_to_sagemaker(reference_templates: dict[str, Any]) -> None:
    policies = _policies(reference_templates["training"])
    tuning = [p for logical_id, p in policies.items() if logical_id.startswith("TuningWorkflowRole")]
    assert tuning, sorted(policies)
    statements = [s for p in tuning for s in p["PolicyDocument"]["Statement"] if s["Action"] == "iam:PassRole"]
    assert len(statements) == 1
    assert statements[0]["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert "Fn::GetAtt" in statements[0]["Resource"]


def _name_formats(template: dict[str, Any], logical_prefix: str) -> list[str]:
    """The lower-case prefixes of the job names a state machine generates with States.Format('<prefix>-{}', ...)."""
    import json
    import re

    for logical_id, r in template["Resources"].items():
        if r["Type"] == "AWS::StepFunctions::StateMachine" and logical_id.startswith(logical_prefix):
            text = json.dumps(r["Properties"]["DefinitionString"]).replace("\\\\", "\\").replace('\\"', '"')
            return sorted(set(re.findall(r"States.Format\('([a-z0-9-]+)-\{\}", text)))
    raise AssertionError(f"no state machine {logical_prefix}*")


def test_workflow_job_name_prefixes(reference_templates: dict[str, Any]) -> None:
    # Lower case, so that the IAM resources (which SageMaker's lower-case ARNs must match) name them exactly.
    assert _name_formats(reference_templates["training"], "TrainingStateMachine") == ["sagemakercdktrainin-ab2041"]
    assert _name_formats(reference_templates["training"], "TuningStateMachine") == ["sagemakercdk-55df29"]
    assert _name_formats(reference_templates["training"], "RegistrationStateMachine") == ["sagemakercdk-55df29"]
    assert _name_formats(reference_templates["labeling"], "ShapeLabelsStateMachine") == ["shape-labels"]


def test_model_registry_name(reference_templates: dict[str, Any]) -> None:
    groups = _resources(reference_templates["inference"], "AWS::SageMaker::ModelPackageGroup")
    assert [g["ModelPackageGroupName"] for g in groups.values()] == ["sagemakercdkinference-registry"]


def test_labeling_prefixes(reference_templates: dict[str, Any]) -> None:
    env = _env(reference_templates["labeling"], "ShapeLabelsManifestFunction")
    assert env["INPUT_PREFIX"] == "labeling/shape-labels/input/"
    assert env["MANIFEST_PREFIX"] == "labeling/shape-labels/input/_labeling/manifests/"


def _names(template: dict[str, Any], type_: str, prop: str) -> dict[str, Any]:
    """Logical id -> the name property: both are identities (a change to either replaces the resource)."""
    return {logical_id: props.get(prop) for logical_id, props in _resources(template, type_).items()}


def test_workspace_names(reference_templates: dict[str, Any]) -> None:
    # A renamed notebook or domain is a replaced one: its EBS volume, or every user's home directory on EFS, is gone.
    workspaces = reference_templates["workspaces"]
    assert _names(workspaces, "AWS::SageMaker::NotebookInstance", "NotebookInstanceName") == {
        "Notebook985EE735": "sagemakercdkworkspaces-notebook-78de1bb3"}
    assert _names(workspaces, "AWS::SageMaker::NotebookInstanceLifecycleConfig",
                  "NotebookInstanceLifecycleConfigName") == {
        "NotebookLifecycleConfig48B89718": "sagemakercdkworkspaces-notebook-78de1bb3-config"}
    assert _names(workspaces, "AWS::SageMaker::Domain", "DomainName") == {
        "Studio43727D10": "SageMakerCdkWorkspaces-Studio-886A60E8"}
    assert _names(workspaces, "AWS::SageMaker::UserProfile", "UserProfileName") == {
        "StudioDataScientist3AAD4F59": "data-scientist", "StudioMlopsEngineerAE6B67DA": "mlops-engineer"}
    assert _names(workspaces, "AWS::SageMaker::Space", "SpaceName") == {"StudioTeamSpaceCC441855": "team"}


def test_workteam_name(reference_templates: dict[str, Any]) -> None:
    assert _names(reference_templates["labeling"], "AWS::SageMaker::Workteam", "WorkteamName") == {
        "WorkteamBAC3ABC3": "SageMakerCdkLabeling-Workteam"}
