"""`make preflight` (scripts/preflight.py): quota needs read from the templates, quotas read with botocore's Stubber."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

import support

sys.path.insert(0, str(support.ROOT / "scripts"))
import preflight  # noqa: E402

SCRIPT = support.ROOT / "scripts" / "preflight.py"


def _endpoint_template(name: str = "churn", count: int = 2, max_capacity: int | None = 4) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [
            {"VariantName": "champion", "InstanceType": "ml.m5.large", "InitialInstanceCount": count},
            {"VariantName": "serverless", "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
        ]}},
        "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
            "EndpointName": name, "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"ReservedConcurrentExecutions": 10}},
    }
    if max_capacity is not None:
        resources["Target"] = {"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": {
            "ServiceNamespace": "sagemaker", "MaxCapacity": max_capacity, "MinCapacity": count,
            "ResourceId": f"endpoint/{name}/variant/champion"}}
    return {"Resources": resources}


def _workflow_template() -> dict[str, Any]:
    tuning = {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync",
              "Parameters": {"HyperParameterTuningJobConfig": {"ResourceLimits": {"MaxParallelTrainingJobs": 3}},
                             "TrainingJobDefinition": {"ResourceConfig": {"InstanceType": "ml.m5.xlarge",
                                                                           "InstanceCount": 2}}}}
    training = {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "Parameters": {"RoleArn": "ROLE", "ResourceConfig": {"InstanceType": "ml.m5.xlarge",
                                                                      "InstanceCount": 1}}}
    definition = json.dumps({"StartAt": "T", "States": {"T": tuning, "U": training}})
    head, tail = definition.split("ROLE")  # a token inside a string of the definition, as CDK renders one
    return {"Resources": {
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "DefinitionString": {"Fn::Join": ["", [head, {"Fn::GetAtt": ["Role", "Arn"]}, tail]]}}},
        "Trigger": {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {
            "MODEL_NAME": {"Fn::GetAtt": ["M", "ModelName"]}, "OUTPUT_S3_URI": "s3://b/out/",
            "INSTANCE_TYPE": "ml.c5.xlarge", "INSTANCE_COUNT": "3"}}}},
    }}


# --- what the templates need -----------------------------------------------------------------------------------
def test_endpoint_need_is_blue_green_at_the_initial_count_or_the_autoscaled_max() -> None:
    needs = preflight.compute_needs({"A": _endpoint_template(count=2, max_capacity=3)})
    need = needs.instances[("endpoint", "ml.m5.large")]
    assert (need.low, need.high, need.required, need.worst) == (2, 3, 4, 6)  # serverless variant: no instances
    needs = preflight.compute_needs({"A": _endpoint_template(count=2, max_capacity=6)})
    assert needs.instances[("endpoint", "ml.m5.large")].required == 6
    assert needs.reserved_concurrency == 10


def test_workflow_needs_come_from_the_state_machine_and_the_transform_trigger() -> None:
    needs = preflight.compute_needs({"W": _workflow_template()})
    training = needs.instances[("training", "ml.m5.xlarge")]
    assert (training.required, training.worst) == (6, 7)  # tuning: 3 parallel x 2 instances; + one training job
    assert needs.instances[("transform", "ml.c5.xlarge")].required == 3


def test_the_reference_app_needs(reference_assembly: Any) -> None:
    assembly, _ = reference_assembly
    templates = preflight.read_assembly(Path(assembly.directory))
    assert len(templates) == 6  # inference, elastic, training, neo, workspaces, labeling
    needs = preflight.compute_needs(templates)
    endpoint = needs.instances[("endpoint", "ml.m5.large")]
    # champion + challenger (2 each, autoscaling to 4) and the async endpoint (2, autoscaling to 4).
    assert (endpoint.low, endpoint.high, endpoint.required, endpoint.worst) == (6, 12, 12, 24)
    assert needs.instances[("training", "ml.m5.xlarge")].required == 2  # the tuning job: 2 parallel x 1
    assert needs.instances[("transform", "ml.m5.large")].required == 1
    reserved = sum(
        r["Properties"].get("ReservedConcurrentExecutions", 0)
        for t in templates.values() for r in t["Resources"].values() if r["Type"] == "AWS::Lambda::Function"
    )
    assert needs.reserved_concurrency == reserved


# --- what the account has: Stubber --------------------------------------------------------------------------------
class _Session:
    """A boto3 Session stand-in whose clients are stubbed."""

    def __init__(self, clients: dict[str, Any], credentials: bool = True, region: str | None = "eu-west-1") -> None:
        self.clients, self.region_name, self._credentials = clients, region, credentials

    def get_credentials(self) -> Any:
        return object() if self._credentials else None

    def client(self, name: str, region_name: str | None = None) -> Any:
        return self.clients[name]


def _quota(name: str, code: str, value: float) -> dict[str, Any]:
    return {"QuotaName": name, "QuotaCode": code, "Value": value, "ServiceCode": "sagemaker"}


def _stubbed(endpoint_quota: float, lambda_limit: int = 1000, unreserved: int = 1000) -> tuple[_Session, list[Stubber]]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="eu-west-1")
    quotas, lam = session.client("service-quotas"), session.client("lambda")
    sq, ls = Stubber(quotas), Stubber(lam)
    sq.add_response("list_service_quotas", {
        "Quotas": [_quota("ml.m5.large for endpoint usage", "L-614B09FD", endpoint_quota)], "NextToken": "p2"},
        {"ServiceCode": "sagemaker", "MaxResults": 100})
    sq.add_response("list_service_quotas", {"Quotas": [_quota("Something else", "L-0", 1)]},
                    {"ServiceCode": "sagemaker", "MaxResults": 100, "NextToken": "p2"})
    # Never changed: only the default list has it.
    sq.add_response("list_aws_default_service_quotas", {
        "Quotas": [_quota("Number of instances across active endpoints", "L-7A3DF611", 20)]},
        {"ServiceCode": "sagemaker", "MaxResults": 100})
    sq.add_response("list_service_quotas", {"Quotas": [
        {"QuotaName": "Concurrent executions", "QuotaCode": "L-B99A9384", "Value": lambda_limit}]},
        {"ServiceCode": "lambda", "MaxResults": 100})
    ls.add_response("get_account_settings", {"AccountLimit": {
        "ConcurrentExecutions": lambda_limit, "UnreservedConcurrentExecutions": unreserved}})
    for stub in (sq, ls):
        stub.activate()
    return _Session({"service-quotas": quotas, "lambda": lam}), [sq, ls]


def _row(out: str, quota: str) -> list[str]:
    line = next(l for l in out.splitlines() if l.startswith(quota))
    return re.split(r"\s{2,}", line.strip())


@pytest.fixture()
def assembly(tmp_path: Path) -> Path:
    (tmp_path / "App.template.json").write_text(json.dumps(_endpoint_template(count=2, max_capacity=4)))
    return tmp_path


def test_enough_quota_exits_0_with_the_table(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session, stubs = _stubbed(endpoint_quota=8)
    assert preflight.main(["--assembly", str(assembly)], session=session) == preflight.EXIT_OK
    out = capsys.readouterr().out
    assert _row(out, "ml.m5.large for endpoint usage")[1:] == [
        "L-614B09FD", "4 (2 initial x2 for blue/green; autoscaling max 4; 8 to update scaled out)", "8", "ok"]
    assert "Every quota suffices." in out
    assert "Number of instances across active endpoints" in out and "L-7A3DF611" in out
    for stub in stubs:
        stub.assert_no_pending_responses()


def test_short_quota_exits_1_naming_the_code_and_the_request_url(
    assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, _ = _stubbed(endpoint_quota=2)
    assert preflight.main(["--assembly", str(assembly)], session=session) == preflight.EXIT_SHORT
    out = capsys.readouterr().out
    assert _row(out, "ml.m5.large for endpoint usage")[3:] == ["2", "SHORT"]
    assert (
        "https://eu-west-1.console.aws.amazon.com/servicequotas/home/services/sagemaker/quotas/L-614B09FD" in out
    )


def test_lambda_reserved_concurrency_must_leave_the_unreserved_minimum(
    assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session, _ = _stubbed(endpoint_quota=8, lambda_limit=50, unreserved=50)  # a new account: nothing reservable
    assert preflight.main(["--assembly", str(assembly)], session=session) == preflight.EXIT_SHORT
    out = capsys.readouterr().out
    assert "10 reserved + 50 unreserved minimum" in out and "50 (50 unreserved now, 0 reservable)" in out
    assert "/servicequotas/home/services/lambda/quotas/L-B99A9384" in out


def test_access_denied_is_one_line_and_exit_2(assembly: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="eu-west-1")
    quotas = session.client("service-quotas")
    stub = Stubber(quotas)
    stub.add_client_error("list_service_quotas", "AccessDeniedException", "not authorized", 400)
    stub.activate()
    code = preflight.main(["--assembly", str(assembly)], session=_Session({"service-quotas": quotas}))
    err = capsys.readouterr().err
    assert code == preflight.EXIT_CANNOT_CHECK
    assert err.count("\n") == 1 and "AccessDeniedException" in err and "servicequotas:ListServiceQuotas" in err


def test_no_region_and_no_assembly_are_one_line_and_exit_2(
    assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert preflight.main(["--assembly", str(assembly)], session=_Session({}, region=None)) == 2
    assert preflight.main(["--assembly", str(tmp_path / "missing")], session=_Session({})) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("preflight: no AWS region") and "make synth" in err[1]


def test_without_credentials_one_line_no_traceback_exit_2(assembly: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_REGION="eu-west-1",
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--assembly", str(assembly)], env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == preflight.EXIT_CANNOT_CHECK
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "no AWS credentials" in result.stderr
    assert "Traceback" not in result.stderr
