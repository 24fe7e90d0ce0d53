"""Request shapes: every SageMaker request the workflows send is valid against botocore's own service model.

The synthesized state machine definition (a Fn::Join) is resolved with sample values for its CloudFormation tokens,
then *run* by a small Amazon States Language interpreter (Pass, Choice, Task, Wait, Succeed, Fail; JSONPath,
intrinsic functions, ResultSelector/ResultPath/OutputPath) with sample service responses. Every Task request is
validated with `botocore.validate.ParamValidator` plus the model's length, pattern and enum constraints (which the
validator leaves to the service). Running the definition, rather than substituting placeholders, also proves that
every JSONPath the workflow reads exists at that point. The helpers are imported by the tuning and rollout tests.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import aws_cdk as cdk
import botocore.session
import pytest
from botocore.validate import ParamValidator
from jsonpath_ng.ext import parse as jsonpath

import support
from sagemaker_cdk import ArtifactBucket
from sagemaker_cdk.training.training_job import TrainingJob
from sagemaker_cdk.training.training_props import Algorithm, Channel, Spot

ACCOUNT, REGION = "123456789012", "eu-west-1"
SAMPLE_UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
_SESSION = botocore.session.get_session()
_MODELS: dict[str, Any] = {}


# -- resolving the template's tokens ------------------------------------------------------------------------------


def _sample_for(template: dict[str, Any], node: dict[str, Any]) -> str:
    resources = template["Resources"]
    if "Ref" in node:
        ref = node["Ref"]
        pseudo = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                  "AWS::URLSuffix": "amazonaws.com", "AWS::StackName": "Test"}
        if ref in pseudo:
            return pseudo[ref]
        type_ = resources[ref]["Type"]
        if type_ == "AWS::S3::Bucket":
            return "sample-artifact-bucket"
        if type_ == "AWS::EC2::Subnet":
            return "subnet-0123456789abcdef0"
        if type_ == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{ref}"
        if type_ == "AWS::SageMaker::Endpoint":
            return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ref.lower()}"
        return re.sub(r"[^a-z0-9]", "", ref.lower())[:40]
    if "Fn::GetAtt" in node:
        logical_id, attr = node["Fn::GetAtt"]
        type_ = resources[logical_id]["Type"]
        if attr == "Arn" and type_ == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"
        if attr == "Arn" and type_ == "AWS::KMS::Key":
            return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        if attr == "Arn":
            return f"arn:aws:{type_.split('::')[1].lower()}:{REGION}:{ACCOUNT}:{logical_id.lower()}"
        if attr == "GroupId":
            return "sg-0123456789abcdef0"
        return re.sub(r"[^a-z0-9]", "", logical_id.lower())[:40]
    if "Fn::FindInMap" in node:
        mapping, _, key = node["Fn::FindInMap"]
        return template["Mappings"][mapping][REGION][key]
    if "Fn::Join" in node:
        separator, parts = node["Fn::Join"]
        return separator.join(p if isinstance(p, str) else _sample_for(template, p) for p in parts)
    raise AssertionError(f"unexpected token in a definition: {node}")


def definition_of(template: dict[str, Any], logical_id: str | None = None) -> dict[str, Any]:
    """The state machine's definition with every CloudFormation token replaced by a sample value."""
    machines = {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::StepFunctions::StateMachine"}
    if logical_id is None:
        assert len(machines) == 1, sorted(machines)
        logical_id = next(iter(machines))
    body = machines[logical_id]["Properties"]["DefinitionString"]
    text = body if isinstance(body, str) else _sample_for(template, body)
    return json.loads(text)


# -- a small Amazon States Language interpreter ---------------------------------------------------------------------


class StatesRuntimeError(AssertionError):
    """What Step Functions reports as States.Runtime: a path that does not exist, a bad intrinsic argument."""


def _path(expr: str, data: Any, context: dict[str, Any]) -> Any:
    root, expr = (context, "$" + expr[2:]) if expr.startswith("$$") else (data, expr)
    matches = [m.value for m in jsonpath(expr).find(root)]
    if "[?(" in expr:
        return matches
    if not matches:
        raise StatesRuntimeError(f"path {expr} does not exist in {json.dumps(root)[:400]}")
    return matches[0]


def _split_args(text: str) -> list[str]:
    args, depth, quote, current = [], 0, False, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current += ch
            if ch == "\\":
                current += text[i + 1]
                i += 1
            elif ch == "'":
                quote = False
        elif ch == "'":
            quote, current = True, current + ch
        elif ch == "(":
            depth, current = depth + 1, current + ch
        elif ch == ")":
            depth, current = depth - 1, current + ch
        elif ch == "," and depth == 0:
            args.append(current.strip())
            current = ""
        else:
            current += ch
        i += 1
    if current.strip():
        args.append(current.strip())
    return args


def evaluate(expr: str, data: Any, context: dict[str, Any]) -> Any:
    expr = expr.strip()
    if expr.startswith("$"):
        return _path(expr, data, context)
    if expr.startswith("'"):
        return re.sub(r"\\(.)", r"\1", expr[1:-1])
    if expr in ("true", "false"):
        return expr == "true"
    if expr == "null":
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", expr):
        return json.loads(expr)
    match = re.fullmatch(r"(States\.\w+)\((.*)\)", expr, flags=re.S)
    if not match:
        raise StatesRuntimeError(f"cannot evaluate {expr!r}")
    name, args = match.group(1), [evaluate(a, data, context) for a in _split_args(match.group(2))]
    if name == "States.Format":
        template, values = args[0], list(args[1:])
        if template.count("{}") != len(values):
            raise StatesRuntimeError(f"States.Format arity: {expr}")
        return re.sub(r"\{\}", lambda _: str(values.pop(0)), template)
    if name == "States.UUID":
        return SAMPLE_UUID
    if name == "States.JsonMerge":
        if not (isinstance(args[0], dict) and isinstance(args[1], dict)):
            raise StatesRuntimeError(f"States.JsonMerge needs objects: {expr}")
        return {**args[0], **args[1]}
    if name == "States.StringSplit":
        return [p for p in re.split("[" + re.escape(args[1]) + "]", args[0]) if p]
    if name == "States.ArrayGetItem":
        return args[0][args[1]]
    if name == "States.Array":
        return list(args)
    raise StatesRuntimeError(f"intrinsic {name} is not simulated")


def render(params: Any, data: Any, context: dict[str, Any]) -> Any:
    if isinstance(params, dict):
        out = {}
        for key, value in params.items():
            if key.endswith(".$"):
                out[key[:-2]] = evaluate(value, data, context)
            else:
                out[key] = render(value, data, context)
        return out
    if isinstance(params, list):
        return [render(v, data, context) for v in params]
    return params


def _set(data: Any, path: str | None, value: Any) -> Any:
    if path is None:
        return data
    if path == "$":
        return value
    data = copy.deepcopy(data)
    node = data
    keys = path[2:].split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return data


def _condition(rule: dict[str, Any], data: Any, context: dict[str, Any]) -> bool:
    if "And" in rule:
        return all(_condition(r, data, context) for r in rule["And"])
    if "Or" in rule:
        return any(_condition(r, data, context) for r in rule["Or"])
    if "Not" in rule:
        return not _condition(rule["Not"], data, context)
    try:
        value = _path(rule["Variable"], data, context)
        present = True
    except StatesRuntimeError:
        value, present = None, False
    if "IsPresent" in rule:
        return present == rule["IsPresent"]
    if not present:
        raise StatesRuntimeError(f"Choice reads missing {rule['Variable']}")
    checks: dict[str, Callable[[Any], bool]] = {
        "IsString": lambda v: isinstance(v, str),
        "IsNumeric": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "IsBoolean": lambda v: isinstance(v, bool),
        "IsNull": lambda v: v is None,
    }
    for op, check in checks.items():
        if op in rule:
            return check(value) == rule[op]
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    for op, compare in (
        ("NumericGreaterThanEquals", lambda a, b: a >= b),
        ("NumericLessThanEquals", lambda a, b: a <= b),
        ("NumericGreaterThan", lambda a, b: a > b),
        ("NumericLessThan", lambda a, b: a < b),
        ("NumericEquals", lambda a, b: a == b),
    ):
        if op in rule:
            return numeric and compare(value, rule[op])
        if op + "Path" in rule:
            return numeric and compare(value, _path(rule[op + "Path"], data, context))
    if "StringEquals" in rule:
        return isinstance(value, str) and value == rule["StringEquals"]
    if "StringEqualsPath" in rule:
        return isinstance(value, str) and value == _path(rule["StringEqualsPath"], data, context)
    if "StringMatches" in rule:
        pattern = "".join(".*" if c == "*" else re.escape(c) for c in rule["StringMatches"])
        return isinstance(value, str) and re.fullmatch(pattern, value, flags=re.S) is not None
    if "BooleanEquals" in rule:
        return isinstance(value, bool) and value == rule["BooleanEquals"]
    raise StatesRuntimeError(f"Choice operator not simulated: {rule}")


@dataclass
class Run:
    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (state, resource, request)
    path: list[str] = field(default_factory=list)

    def requests(self, operation: str) -> list[dict[str, Any]]:
        return [req for _, res, req in self.calls if operation_of(res) == operation]


def operation_of(resource: str) -> str:
    """'arn:aws:states:::sagemaker:createTrainingJob.sync' -> 'CreateTrainingJob'."""
    action = resource.split(":")[-1].split(".")[0]
    return action[0].upper() + action[1:]


Responder = Callable[[str, dict[str, Any]], Any]


def run(definition: dict[str, Any], execution_input: Any, respond: Responder, max_steps: int = 100) -> Run:
    context = {"Execution": {"Id": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:sm:run-1", "Name": "run-1"},
               "StateMachine": {"Id": f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:sm"}}
    states, name, data = definition["States"], definition["StartAt"], execution_input
    result = Run(status="Running")
    for _ in range(max_steps):
        state = states[name]
        result.path.append(name)
        kind = state["Type"]
        if kind == "Fail":
            result.status = "Failed"
            result.error = state.get("Error") or (_path(state["ErrorPath"], data, context) if "ErrorPath" in state else None)
            result.cause = state.get("Cause") or (_path(state["CausePath"], data, context) if "CausePath" in state else None)
            return result
        if kind == "Choice":
            name = next((c["Next"] for c in state["Choices"] if _condition(c, data, context)), state.get("Default"))
            assert name, f"Choice {result.path[-1]} has no matching rule and no Default"
            continue
        effective = _path(state["InputPath"], data, context) if state.get("InputPath") else data
        if kind == "Pass":
            output = render(state["Parameters"], effective, context) if "Parameters" in state else state.get("Result", effective)
        elif kind == "Task":
            request = render(state.get("Parameters", {}), effective, context)
            result.calls.append((name, state["Resource"], request))
            output = respond(state["Resource"], request)
            if "ResultSelector" in state:
                output = render(state["ResultSelector"], output, context)
        elif kind in ("Wait", "Succeed"):
            output = effective
        else:
            raise AssertionError(f"state type {kind} is not simulated")
        if kind != "Succeed" or "ResultPath" in state:
            data = _set(data, state.get("ResultPath", "$"), output) if state.get("ResultPath", "$") is not None else data
        if state.get("OutputPath"):
            data = _path(state["OutputPath"], data, context)
        if kind == "Succeed" or state.get("End"):
            result.status, result.output = "Succeeded", data
            return result
        name = state["Next"]
    raise AssertionError(f"no end after {max_steps} states: {result.path[-10:]}")


# -- validation against botocore's service model -------------------------------------------------------------------


def _model(service: str) -> Any:
    if service not in _MODELS:
        _MODELS[service] = _SESSION.get_service_model(service)
    return _MODELS[service]


def _constraints(shape: Any, value: Any, where: str, problems: list[str]) -> None:
    meta = shape.metadata
    if shape.type_name == "structure" and isinstance(value, dict):
        for key, member in value.items():
            if key in shape.members:
                _constraints(shape.members[key], member, f"{where}.{key}", problems)
    elif shape.type_name == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: {len(value)} items > max {meta['max']}")
        for i, item in enumerate(value):
            _constraints(shape.member, item, f"{where}[{i}]", problems)
    elif shape.type_name == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: {len(value)} entries > max {meta['max']}")
        for key, item in value.items():
            _constraints(shape.key, key, f"{where} key {key!r}", problems)
            _constraints(shape.value, item, f"{where}[{key!r}]", problems)
    elif shape.type_name == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(f"{where}: {value!r} is {len(value)} characters > max {meta['max']}")
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value, flags=re.S):
            problems.append(f"{where}: {value!r} does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            problems.append(f"{where}: {value!r} not in {shape.enum}")
    elif shape.type_name in ("integer", "long", "float", "double") and isinstance(value, (int, float)):
        if "min" in meta and value < meta["min"]:
            problems.append(f"{where}: {value} < min {meta['min']}")
        if "max" in meta and value > meta["max"]:
            problems.append(f"{where}: {value} > max {meta['max']}")


def shape_problems(service: str, operation: str, request: dict[str, Any]) -> list[str]:
    """Every problem botocore's model finds in `request` (empty when valid)."""
    shape = _model(service).operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    _constraints(shape, request, operation, problems)
    return problems


def assert_valid_requests(result: Run) -> None:
    assert result.calls, "the run made no calls"
    for state, resource, request in result.calls:
        service = "sns" if ":sns:" in resource else "sagemaker"
        if service == "sns" and isinstance(request.get("Message"), dict):
            # The optimized SNS integration serializes a JSON object Message to a string before calling Publish.
            request = {**request, "Message": json.dumps(request["Message"])}
        problems = shape_problems(service, operation_of(resource), request)
        assert problems == [], f"{state} ({resource}) sends an invalid request:\n" + "\n".join(problems)


def sample_response(resource: str, request: dict[str, Any], *, metric: float = 0.91, rolled_back: bool = False,
                    state: dict[str, Any] | None = None) -> Any:
    """Plausible responses for the calls the workflows make."""
    state = state if state is not None else {}
    operation = operation_of(resource)
    if operation in ("CreateTrainingJob", "DescribeTrainingJob"):
        name = request["TrainingJobName"]
        output = state.get("output", "s3://sample-artifact-bucket/models/")
        return {
            "TrainingJobName": name,
            "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name.lower()}",
            "TrainingJobStatus": "Completed",
            "ModelArtifacts": {"S3ModelArtifacts": f"{request.get('OutputDataConfig', {}).get('S3OutputPath', output)}{name}/output/model.tar.gz"},
            "HyperParameters": request.get("HyperParameters", {}),
            "FinalMetricDataList": [
                {"MetricName": "train:auc", "Value": 0.99, "Timestamp": 0},
                {"MetricName": "validation:auc", "Value": metric, "Timestamp": 0},
            ],
        }
    if operation == "CreateHyperParameterTuningJob":
        name = request["HyperParameterTuningJobName"]
        objective = request["HyperParameterTuningJobConfig"].get("HyperParameterTuningJobObjective", {})
        return {
            "HyperParameterTuningJobName": name,
            "HyperParameterTuningJobStatus": "Completed",
            "BestTrainingJob": {
                "TrainingJobName": f"{name}-007-1a2b3c4d",
                "FinalHyperParameterTuningJobObjectiveMetric": {
                    "Type": objective.get("Type", "Maximize"), "MetricName": objective.get("MetricName", "m"),
                    "Value": metric,
                },
            },
        }
    if operation == "CreateModel":
        return {"ModelArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{request['ModelName'].lower()}"}
    if operation == "CreateEndpointConfig":
        state["config"] = request["EndpointConfigName"]
        return {"EndpointConfigArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/x"}
    if operation == "UpdateEndpoint":
        return {"EndpointArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{request['EndpointName'].lower()}"}
    if operation == "DescribeEndpoint":
        polls = state["polls"] = state.get("polls", 0) + 1
        status = "Updating" if polls == 1 else "InService"
        config = "the-previous-config" if rolled_back else state.get("config", "unknown")
        return {"EndpointName": request["EndpointName"], "EndpointStatus": status, "EndpointConfigName": config}
    if operation == "Publish":
        return {"MessageId": "1"}
    raise AssertionError(f"no sample response for {resource}")


def responder(**options: Any) -> Responder:
    state: dict[str, Any] = {}
    return lambda resource, request: sample_response(resource, request, state=state, **options)


# -- the training workflow -----------------------------------------------------------------------------------------

HYPERPARAMETERS = {"objective": "binary:logistic", "num_round": 50, "eta": 0.2, "max_depth": 5, "subsample": 0.8,
                   "verbosity": 0, "min_child_weight": 1e-05}


@pytest.fixture(scope="module")
def training() -> tuple[dict[str, Any], dict[str, Any]]:
    app = support.new_app()
    stack = cdk.Stack(app, "TrainRequests")
    bucket = ArtifactBucket(stack, "Bucket")
    TrainingJob(
        stack,
        "Job",
        bucket=bucket,
        algorithm=Algorithm.built_in("xgboost", "1.7-1"),
        hyperparameters=HYPERPARAMETERS,
        channels=[Channel("train", content_type="text/csv"), Channel("validation", content_type="text/csv")],
        instance_count=2,
        spot=Spot(max_wait=cdk.Duration.hours(3)),
        max_runtime=cdk.Duration.hours(2),
    )
    template = app.synth().get_stack_by_name("TrainRequests").template
    return template, definition_of(template)


def test_default_run_sends_a_valid_create_training_job(training: Any) -> None:
    _, definition = training
    result = run(definition, {}, responder())
    assert result.status == "Succeeded", result
    assert_valid_requests(result)
    (request,) = result.requests("CreateTrainingJob")
    assert request["TrainingJobName"] == f"trainrequests-job-{SAMPLE_UUID}"
    assert len(request["TrainingJobName"]) <= 63
    assert request["HyperParameters"] == {
        "objective": "binary:logistic", "num_round": "50", "eta": "0.2", "max_depth": "5", "subsample": "0.8",
        "verbosity": "0", "min_child_weight": "0.00001",
    }
    channels = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]}
    assert channels == {"train": "s3://sample-artifact-bucket/train/",
                        "validation": "s3://sample-artifact-bucket/validation/"}
    assert request["EnableManagedSpotTraining"] is True
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 7200, "MaxWaitTimeInSeconds": 10800}
    assert request["CheckpointConfig"]["S3Uri"] == "s3://sample-artifact-bucket/checkpoints/trainrequests-job/"
    assert request["EnableNetworkIsolation"] is True
    assert request["EnableInterContainerTrafficEncryption"] is True
    # Two instances: the network's group (HTTPS to the endpoints) and the job's own (instance to instance).
    assert request["VpcConfig"]["SecurityGroupIds"] == ["sg-0123456789abcdef0"] * 2
    assert request["ResourceConfig"]["VolumeKmsKeyId"].startswith("arn:aws:kms:")
    assert result.output["TrainingJobName"] == request["TrainingJobName"]


def test_execution_input_overrides_hyperparameters_and_data_prefix(training: Any) -> None:
    _, definition = training
    result = run(
        definition,
        {"hyperparameters": {"max_depth": "8", "gamma": "1"}, "channels": {"train": "train/2024-06-01/"}},
        responder(),
    )
    assert result.status == "Succeeded", result
    assert_valid_requests(result)
    (request,) = result.requests("CreateTrainingJob")
    assert request["HyperParameters"]["max_depth"] == "8"
    assert request["HyperParameters"]["gamma"] == "1"
    assert request["HyperParameters"]["eta"] == "0.2"  # untouched defaults stay
    uris = [c["DataSource"]["S3DataSource"]["S3Uri"] for c in request["InputDataConfig"]]
    assert uris == ["s3://sample-artifact-bucket/train/2024-06-01/", "s3://sample-artifact-bucket/validation/"]


@pytest.mark.parametrize(
    ("execution_input", "state", "cause"),
    [
        ("not an object", "InvalidInputType", r"must be a JSON object"),
        ({"hyperparameters": "max_depth=8"}, "InvalidHyperparameters", r"must be an object mapping names"),
        ({"hyperparameters": {"max_depth": 8}}, "InvalidHyperparameter-max_depth", r"max_depth must be a string"),
        ({"hyperparameters": {"eta": True}}, "InvalidHyperparameter-eta", r"eta must be a string"),
        ({"channels": ["train/"]}, "InvalidChannels", r"must be an object mapping channel names"),
        (["a"], "InvalidInputType", r"must be a JSON object"),
        ({"channels": {"train": "other/"}}, "InvalidChannel-train", r"starting with 'train/'"),
        ({"channels": {"validation": 3}}, "InvalidChannel-validation", r"channels\.validation must be"),
        ({"channels": 7}, "InvalidChannels", r"must be an object mapping channel names"),
    ],
)
def test_bad_execution_input_fails_with_a_clear_error(training: Any, execution_input: Any, state: str, cause: str) -> None:
    _, definition = training
    result = run(definition, execution_input, responder())
    assert result.status == "Failed"
    assert result.path[-1] == state
    assert result.error == "InvalidInput"
    assert re.search(cause, result.cause)
    assert result.calls == []


def test_training_failure_is_published_then_fails_with_the_original_error(training: Any) -> None:
    _, definition = training
    train = definition["States"]["Train"]
    catch = train["Catch"][0]
    assert catch["ErrorEquals"] == ["States.ALL"] and catch["ResultPath"] == "$.error"
    retry = train["Retry"][0]
    assert "SageMaker.ThrottlingException" in retry["ErrorEquals"] and retry["BackoffRate"] == 2
    # Simulate the catch: the notice is a valid SNS Publish, then the run fails with the job's error.
    notify = dict(definition, StartAt=catch["Next"])
    failing = {"error": {"Error": "States.TaskFailed", "Cause": "AlgorithmError: bad data"}}
    result = run(notify, failing, responder())
    assert result.status == "Failed" and result.error == "States.TaskFailed"
    assert_valid_requests(result)
    (message,) = [req["Message"] for _, _, req in result.calls]
    assert message["cause"] == "AlgorithmError: bad data"


def test_intrinsics_keep_every_job_name_within_63_characters() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "AStackWithAVeryLongNameThatGoesOnAndOn")
    job = TrainingJob(stack, "AnEvenLongerConstructIdForTheTrainingJob", bucket=ArtifactBucket(stack, "B"),
                      algorithm=Algorithm.built_in("xgboost", "1.7-1"))
    assert len(job.job_name_prefix) <= 26
    definition = definition_of(app.synth().get_stack_by_name(stack.stack_name).template)
    # Any UUID is 36 characters, so the longest possible name is the prefix + 37.
    result = run(definition, {}, responder())
    assert_valid_requests(result)
    (request,) = result.requests("CreateTrainingJob")
    assert len(request["TrainingJobName"]) == len(job.job_name_prefix) + 37 <= 63
