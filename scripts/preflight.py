"""Quota preflight: does this AWS account have the SageMaker and Lambda quotas the synthesized app needs?

    make preflight                      # synthesizes, then checks the account and region of your AWS credentials
    python scripts/preflight.py [--assembly cdk.out] [--region eu-west-1]

What the app needs is read from the templates in the cloud assembly (cdk.out):
- endpoint instances per instance type: each variant's InitialInstanceCount, raised to its autoscaling maximum
  (ScalableTarget MaxCapacity), and doubled while an update runs: SageMaker's blue/green deployment (the
  endpoint's DeploymentConfig, and the default for UpdateEndpoint) provisions the new fleet beside the old one
  before it shifts traffic. Endpoint configs that a Step Functions workflow creates count the same way.
- training, tuning, transform and processing instances from the Step Functions definitions (ResourceConfig,
  ResourceLimits.MaxParallelTrainingJobs, TransformResources, ProcessingResources), and from the batch-transform
  function's INSTANCE_TYPE/INSTANCE_COUNT environment. A job type must fit at least its largest single job; the
  table also shows what all workflows need when they run at once.
- Lambda: the sum of ReservedConcurrentExecutions, which must leave the account's unreserved minimum free.

What the account has comes from Service Quotas (ListServiceQuotas, falling back to ListAWSDefaultServiceQuotas for
quotas never changed), matched by quota *name* ("ml.m5.large for endpoint usage"), because names are stable and
documented while codes differ per quota; the codes printed are the ones Service Quotas returns. Lambda's current
unreserved concurrency comes from GetAccountSettings.

Exit codes: 0 every quota suffices; 1 at least one is short (the table names the quota code and the URL to request
an increase); 2 the check could not run (no credentials, no region, access denied, no cdk.out).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

EXIT_OK, EXIT_SHORT, EXIT_CANNOT_CHECK = 0, 1, 2

# Lambda keeps this many concurrent executions unreserved for functions without reserved concurrency
# (Lambda API Reference, PutFunctionConcurrency: "leave at least 100 simultaneous executions unreserved"). Accounts
# whose whole quota is below 100 (new accounts get 10 or 50) keep all of it unreserved: the error is "decreases
# account's UnreservedConcurrentExecution below its minimum value of [10]".
LAMBDA_UNRESERVED_MINIMUM = 100
LAMBDA_CONCURRENCY_QUOTA = "Concurrent executions"  # Service Quotas code L-B99A9384

# Quota names of the SageMaker service in Service Quotas (service code "sagemaker").
USAGE = {
    "endpoint": "{type} for endpoint usage",
    "training": "{type} for training job usage",
    "transform": "{type} for transform job usage",
    "processing": "{type} for processing job usage",
}
TOTALS = {
    "endpoint": "Number of instances across active endpoints",  # L-7A3DF611
    "training": "Number of instances across all training jobs",  # L-00C91CB5
    "transform": "Number of instances across all transform jobs",  # L-60D2A6F0
    "processing": "Number of instances across all processing jobs",  # L-F311B08F
}


# ---------------------------------------------------------------------------------------------------------------
# What the templates need.
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Need:
    """Instances of one usage kind ("endpoint", "training", ...) and instance type.

    Endpoints: `low` is the initial instance count, `high` the autoscaling maximum. What must fit (`required`) is
    the larger of a blue/green update at the initial count (2 x low) and the autoscaled fleet (high); `worst` is an
    update while scaled out (2 x high), which is reported but does not fail the check.
    Jobs: `low` is the largest single job (what must fit for the workflow to run at all), `high` all workflows at
    once (reported).
    """

    kind: str
    instance_type: str
    low: int = 0
    high: int = 0
    sources: list[str] = field(default_factory=list)

    @property
    def required(self) -> int:
        return max(2 * self.low, self.high) if self.kind == "endpoint" else self.low

    @property
    def worst(self) -> int:
        return 2 * self.high if self.kind == "endpoint" else self.high


@dataclass
class Needs:
    instances: dict[tuple[str, str], Need] = field(default_factory=dict)
    reserved_concurrency: int = 0
    reserved_by: list[str] = field(default_factory=list)

    def add(self, kind: str, instance_type: str, low: int, high: int, source: str) -> None:
        need = self.instances.setdefault((kind, instance_type), Need(kind, instance_type))
        need.low = need.low + low if kind == "endpoint" else max(need.low, low)
        need.high += high
        need.sources.append(source)

    def totals(self) -> dict[str, tuple[int, int]]:
        """Per kind, over all instance types: (required, worst)."""
        out: dict[str, tuple[int, int]] = {}
        for need in self.instances.values():
            required, worst = out.get(need.kind, (0, 0))
            if need.kind == "endpoint":
                out[need.kind] = (required + need.required, worst + need.worst)
            else:  # one job at a time must fit: the largest of any type
                out[need.kind] = (max(required, need.required), worst + need.worst)
        return out


def read_assembly(assembly: Path) -> dict[str, dict[str, Any]]:
    """{stack name: template} for every stack in a cloud assembly directory (cdk.out)."""
    manifest = assembly / "manifest.json"
    if manifest.exists():
        artifacts = json.loads(manifest.read_text()).get("artifacts", {})
        files = {
            name: assembly / a["properties"]["templateFile"]
            for name, a in artifacts.items()
            if a.get("type") == "aws:cloudformation:stack"
        }
    else:
        files = {p.name.removesuffix(".template.json"): p for p in assembly.glob("*.template.json")}
    return {name: json.loads(path.read_text()) for name, path in sorted(files.items())}


def compute_needs(templates: dict[str, dict[str, Any]]) -> Needs:
    needs = Needs()
    for stack, template in templates.items():
        resources = template.get("Resources", {})
        _endpoint_needs(stack, resources, needs)
        for logical_id, resource in resources.items():
            props = resource.get("Properties") or {}
            if resource.get("Type") == "AWS::StepFunctions::StateMachine":
                definition = _definition(props.get("DefinitionString"))
                if definition is not None:
                    _workflow_needs(f"{stack}/{logical_id}", definition, needs)
            elif resource.get("Type") == "AWS::Lambda::Function":
                reserved = props.get("ReservedConcurrentExecutions")
                if isinstance(reserved, int) and reserved > 0:
                    needs.reserved_concurrency += reserved
                    needs.reserved_by.append(f"{stack}/{logical_id}={reserved}")
                env = (props.get("Environment") or {}).get("Variables") or {}
                if _TRANSFORM_TRIGGER <= set(env) and isinstance(env["INSTANCE_TYPE"], str):
                    count = str(env["INSTANCE_COUNT"])
                    n = int(count) if count.isdigit() else 1
                    needs.add("transform", env["INSTANCE_TYPE"], n, n, f"{stack}/{logical_id}")
    return needs


# The environment of the batch-transform trigger (lambda/batch_transform_trigger), which starts one transform job
# of INSTANCE_COUNT x INSTANCE_TYPE per uploaded file.
_TRANSFORM_TRIGGER = {"INSTANCE_TYPE", "INSTANCE_COUNT", "OUTPUT_S3_URI", "MODEL_NAME"}


def _refs(value: Any) -> Iterator[str]:
    """Logical IDs referenced (Ref / Fn::GetAtt) anywhere inside `value`."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            arg = value["Fn::GetAtt"]
            yield arg[0] if isinstance(arg, list) else str(arg).split(".")[0]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _literal_text(value: Any) -> str:
    """The literal parts of a (possibly Fn::Join-ed) string, tokens dropped."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        return "".join(p for p in value["Fn::Join"][1] if isinstance(p, str))
    return ""


def _endpoint_needs(stack: str, resources: dict[str, Any], needs: Needs) -> None:
    # Autoscaling maxima, by (endpoint logical ID, variant name).
    # ResourceId is "endpoint/<endpoint name>/variant/<variant name>", the name a literal or a reference.
    names = {
        (r.get("Properties") or {}).get("EndpointName"): logical_id
        for logical_id, r in resources.items()
        if r.get("Type") == "AWS::SageMaker::Endpoint"
    }
    maxima: dict[tuple[str, str], int] = {}
    for resource in resources.values():
        props = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::ApplicationAutoScaling::ScalableTarget":
            continue
        if props.get("ServiceNamespace") != "sagemaker" or not isinstance(props.get("MaxCapacity"), int):
            continue
        text = _literal_text(props.get("ResourceId"))
        match = re.match(r"^endpoint/([^/]*)/variant/([^/]+)$", text)
        if not match:
            continue
        endpoint = names.get(match.group(1)) or next(
            (r for r in _refs(props.get("ResourceId")) if r in names.values()), None
        )
        if endpoint is not None:
            maxima[(endpoint, match.group(2))] = props["MaxCapacity"]
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::SageMaker::Endpoint":
            continue
        props = resource.get("Properties") or {}
        configs = [r for r in _refs(props.get("EndpointConfigName")) if r in resources]
        if not configs:
            continue
        variants = (resources[configs[0]].get("Properties") or {}).get("ProductionVariants") or []
        for variant in variants:
            instance_type, count = variant.get("InstanceType"), variant.get("InitialInstanceCount")
            if not isinstance(instance_type, str) or not isinstance(count, int):
                continue  # serverless, or a token
            top = max(count, maxima.get((logical_id, str(variant.get("VariantName"))), count))
            needs.add("endpoint", instance_type, count, top, f"{stack}/{logical_id}/{variant.get('VariantName')}")


_TOKEN = "__TOKEN__"


def _definition(value: Any) -> Any:
    """A state machine definition as JSON, tokens replaced by a placeholder; None if it cannot be read."""
    if isinstance(value, dict) and "Fn::Join" in value:
        text = "".join(p if isinstance(p, str) else _TOKEN for p in value["Fn::Join"][1])
    elif isinstance(value, str):
        text = value
    else:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _walk(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def _int(value: Any, default: int = 1) -> int:
    return value if isinstance(value, int) else default


def _creates_endpoints(definition: Any) -> bool:
    """True if a workflow creates endpoints of its own; one that only updates an endpoint of the templates (the
    rollout) needs no more than that endpoint's blue/green peak, which is counted with the endpoint."""
    return any(
        str(node.get("Resource", "")).lower().endswith(":createendpoint")
        or str(node.get("Resource", "")).lower().endswith(":createendpoint.sync")
        for node in _walk(definition)
    )


def _workflow_needs(source: str, definition: Any, needs: Needs) -> None:
    creates_endpoints = _creates_endpoints(definition)
    for node in _walk(definition):
        params = node.get("Parameters") if isinstance(node.get("Parameters"), dict) else None
        if params is None:
            continue
        tuning = params.get("HyperParameterTuningJobConfig")
        if isinstance(tuning, dict):
            parallel = _int((tuning.get("ResourceLimits") or {}).get("MaxParallelTrainingJobs"))
            definitions = [params.get("TrainingJobDefinition"), *(params.get("TrainingJobDefinitions") or [])]
            for training in filter(None, definitions):
                config = training.get("ResourceConfig") or {}
                if isinstance(config.get("InstanceType"), str):
                    n = _int(config.get("InstanceCount")) * parallel
                    needs.add("training", config["InstanceType"], n, n, source)
            continue
        config = params.get("ResourceConfig")
        if isinstance(config, dict) and isinstance(config.get("InstanceType"), str):
            n = _int(config.get("InstanceCount"))
            needs.add("training", config["InstanceType"], n, n, source)
        transform = params.get("TransformResources")
        if isinstance(transform, dict) and isinstance(transform.get("InstanceType"), str):
            n = _int(transform.get("InstanceCount"))
            needs.add("transform", transform["InstanceType"], n, n, source)
        processing = (params.get("ProcessingResources") or {}).get("ClusterConfig") if isinstance(params.get("ProcessingResources"), dict) else None
        if isinstance(processing, dict) and isinstance(processing.get("InstanceType"), str):
            n = _int(processing.get("InstanceCount"))
            needs.add("processing", processing["InstanceType"], n, n, source)
        for variant in (params.get("ProductionVariants") or []) if creates_endpoints else []:
            if isinstance(variant, dict) and isinstance(variant.get("InstanceType"), str):
                n = _int(variant.get("InitialInstanceCount"))
                needs.add("endpoint", variant["InstanceType"], n, n, source)


# ---------------------------------------------------------------------------------------------------------------
# What the account has.
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quota:
    name: str
    code: str
    value: float


def read_quotas(client: Any, service_code: str, names: Iterable[str]) -> dict[str, Quota]:
    """The applied (else default) quota of every name in `names` that Service Quotas knows, by name."""
    wanted = set(names)
    found: dict[str, Quota] = {}
    for operation in ("list_service_quotas", "list_aws_default_service_quotas"):
        if wanted <= set(found):
            break
        token = None
        while True:
            kwargs: dict[str, Any] = {"ServiceCode": service_code, "MaxResults": 100}
            if token:
                kwargs["NextToken"] = token
            page = getattr(client, operation)(**kwargs)
            for q in page.get("Quotas", []):
                if q.get("QuotaName") in wanted and q["QuotaName"] not in found:
                    found[q["QuotaName"]] = Quota(q["QuotaName"], q.get("QuotaCode", "?"), float(q.get("Value", 0)))
            token = page.get("NextToken")
            if not token or wanted <= set(found):
                break
    return found


def console_url(region: str, service_code: str, quota_code: str) -> str:
    return f"https://{region}.console.aws.amazon.com/servicequotas/home/services/{service_code}/quotas/{quota_code}"


@dataclass(frozen=True)
class Row:
    quota: str
    code: str
    need: str
    have: str
    verdict: str
    url: str = ""


def evaluate(needs: Needs, quotas: dict[str, Quota], lambda_settings: dict[str, Any] | None, region: str) -> list[Row]:
    rows: list[Row] = []

    def row(name: str, required: int, shown: str, service: str = "sagemaker") -> None:
        quota = quotas.get(name)
        if quota is None:
            rows.append(Row(name, "?", shown, "not listed", "UNKNOWN"))
            return
        short = quota.value < required
        rows.append(
            Row(name, quota.code, shown, f"{quota.value:g}", "SHORT" if short else "ok",
                console_url(region, service, quota.code) if short else "")
        )

    for (kind, instance_type), need in sorted(needs.instances.items()):
        if kind == "endpoint":
            shown = f"{need.required} ({need.low} initial x2 for blue/green; autoscaling max {need.high}"
            shown += f"; {need.worst} to update scaled out)" if need.worst > need.required else ")"
        elif need.worst > need.low:
            shown = f"{need.low} ({need.worst} if all workflows run at once)"
        else:
            shown = str(need.low)
        row(USAGE[kind].format(type=instance_type), need.required, shown)
    for kind, (required, worst) in sorted(needs.totals().items()):
        shown = str(required) if worst <= required else f"{required} ({worst} at most)"
        row(TOTALS[kind], required, shown)
    if lambda_settings is not None:
        limit = int(lambda_settings["AccountLimit"]["ConcurrentExecutions"])
        unreserved = int(lambda_settings["AccountLimit"]["UnreservedConcurrentExecutions"])
        minimum = min(LAMBDA_UNRESERVED_MINIMUM, limit)
        reservable = max(unreserved - minimum, 0)
        quota = quotas.get(LAMBDA_CONCURRENCY_QUOTA)
        code = quota.code if quota else "L-B99A9384"
        short = needs.reserved_concurrency > reservable
        rows.append(
            Row(
                f"Lambda {LAMBDA_CONCURRENCY_QUOTA} (reserved concurrency)",
                code,
                f"{needs.reserved_concurrency} reserved + {minimum} unreserved minimum",
                f"{limit} ({unreserved} unreserved now, {reservable} reservable)",
                "SHORT" if short else "ok",
                console_url(region, "lambda", code) if short else "",
            )
        )
    return rows


def render(rows: list[Row]) -> str:
    headers = ("Quota", "Code", "Need", "Have", "Verdict")
    table = [headers, *((r.quota, r.code, r.need, r.have, r.verdict) for r in rows)]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for r in rows:
        if r.url:
            lines.append(f"Request an increase of '{r.quota}' ({r.code}): {r.url}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# Entry point.
# ---------------------------------------------------------------------------------------------------------------
class CannotCheck(Exception):
    """The check cannot run; the message is the one line printed."""


def check(needs: Needs, session: Any) -> tuple[list[Row], str]:
    """Read the account's quotas with `session` (a boto3 Session) and compare them with `needs`."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

    if session.get_credentials() is None:
        raise CannotCheck(
            "preflight: no AWS credentials found; configure them (aws configure, AWS_PROFILE or SSO) and run again"
        )
    region = session.region_name
    if not region:
        raise CannotCheck("preflight: no AWS region set; pass --region or set AWS_REGION / a profile region")
    try:
        service_quotas = session.client("service-quotas", region_name=region)
        names = [USAGE[k].format(type=t) for k, t in needs.instances] + [TOTALS[k] for k in needs.totals()]
        quotas = read_quotas(service_quotas, "sagemaker", names)
        quotas.update(read_quotas(service_quotas, "lambda", [LAMBDA_CONCURRENCY_QUOTA]))
        lambda_settings = session.client("lambda", region_name=region).get_account_settings()
    except NoCredentialsError:
        raise CannotCheck("preflight: no AWS credentials found; configure them and run again") from None
    except NoRegionError:
        raise CannotCheck("preflight: no AWS region set; pass --region or set AWS_REGION") from None
    except ClientError as err:
        error = err.response.get("Error", {})
        raise CannotCheck(
            f"preflight: {err.operation_name} was refused ({error.get('Code')}: {error.get('Message')}); "
            "the check needs servicequotas:ListServiceQuotas, servicequotas:ListAWSDefaultServiceQuotas "
            "and lambda:GetAccountSettings"
        ) from None
    except BotoCoreError as err:
        raise CannotCheck(f"preflight: cannot reach AWS: {err}") from None
    return evaluate(needs, quotas, lambda_settings, region), region


def main(argv: list[str] | None = None, session: Any = None) -> int:
    parser = argparse.ArgumentParser(description="Check the account's SageMaker and Lambda quotas against cdk.out.")
    parser.add_argument("--assembly", type=Path, default=Path("cdk.out"), help="cloud assembly directory")
    parser.add_argument("--region", help="AWS region (default: your profile's or AWS_REGION)")
    parser.add_argument("--profile", help="AWS profile (default: AWS_PROFILE or the default profile)")
    args = parser.parse_args(argv)
    try:
        templates = read_assembly(args.assembly)
        if not templates:
            raise CannotCheck(f"preflight: no templates in {args.assembly}/; run `make synth` first")
        needs = compute_needs(templates)
        if session is None:
            import boto3

            session = boto3.Session(profile_name=args.profile, region_name=args.region)
        rows, region = check(needs, session)
    except CannotCheck as err:
        print(err, file=sys.stderr)
        return EXIT_CANNOT_CHECK
    except Exception as err:  # e.g. a profile that does not exist: one line, never a traceback
        print(f"preflight: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_CANNOT_CHECK
    print(f"Quota preflight for {len(templates)} stack(s) in {region}:")
    print(render(rows))
    short = [r for r in rows if r.verdict == "SHORT"]
    unknown = [r for r in rows if r.verdict == "UNKNOWN"]
    if unknown:
        print(f"{len(unknown)} quota(s) not listed for this region: the instance type may not be offered here.")
    if short:
        print(f"{len(short)} quota(s) short: request the increases above before `cdk deploy` (README: First deploy).")
        return EXIT_SHORT
    print("Every quota suffices.")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
