#!/usr/bin/env python3
"""`make review`: one self-contained, offline HTML page that says what the synthesized app will deploy.

Built from the cloud assembly (manifest.json, the stacks' templates, aws:cdk:path metadata) and the scanners'
machine-readable output, never from console text:

- cdk-nag (AwsSolutions, Serverless, HIPAA.Security, NIST.800.53.R5): aws-cdk-lib's policy-validation report,
  `validation-report.json`, which every synth writes into the assembly with open violations and acknowledged ones
  (`suppressedViolations`, each with its reason). Packs that the assembly's synth did not run are run here: the
  reference app is synthesized once more, in a subprocess, with those packs only and
  `@aws-cdk/core:failSynthOnValidationErrors` off, so that open findings are reported instead of failing the synth.
- checkov: `cdk.out/checkov/results_json.json` (`make checkov`), plus the `Metadata.checkov.skip` entries of the
  templates, so that accepted checks show with their reasons even where checkov was not run.
- cfn-lint: its Python API, with the ignores of `.cfnlintrc.yaml` (each with its written reason).

Diagrams are Graphviz rendered by @viz-js/viz (WebAssembly, pinned in package.json) in Node: scripts/render_dot.mjs.

Usage: python scripts/review.py [--assembly cdk.out] [--out cdk.out/review] [--checkov FILE] [--skip-extra-packs]
"""

from __future__ import annotations

import argparse
import collections
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
PACKS = ("AwsSolutions", "Serverless", "HIPAA.Security", "NIST.800.53.R5")
_PACK_CLASSES = {
    "AwsSolutions": "AwsSolutionsChecks",
    "Serverless": "ServerlessChecks",
    "HIPAA.Security": "HIPAASecurityChecks",
    "NIST.800.53.R5": "NIST80053R5Checks",
}

# ---------------------------------------------------------------------------------------------------------------
# Reading the assembly


class Stack:
    def __init__(self, name: str, template: dict[str, Any]) -> None:
        self.name = name
        self.template = template
        self.resources: dict[str, dict[str, Any]] = template.get("Resources", {})

    def path(self, logical_id: str) -> str:
        meta = self.resources.get(logical_id, {}).get("Metadata", {})
        return str(meta.get("aws:cdk:path", f"{self.name}/{logical_id}"))

    def short(self, logical_id: str) -> str:
        """The construct path without the stack and the trailing Resource/Default: what a reader recognizes."""
        if logical_id not in self.resources:
            return logical_id
        parts = self.path(logical_id).split("/")[1:]
        while len(parts) > 1 and parts[-1] in ("Resource", "Default"):
            parts.pop()
        return "/".join(parts)

    def of_type(self, *types: str) -> Iterable[tuple[str, dict[str, Any]]]:
        for logical_id, res in self.resources.items():
            if res.get("Type") in types:
                yield logical_id, res

    def render(self, value: Any) -> str:
        """A CloudFormation value as a reader would write it: Refs become construct paths, Joins are joined."""
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float, bool)):
            return json.dumps(value)
        if isinstance(value, list):
            return ", ".join(self.render(v) for v in value)
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref":
                return "${" + arg + "}" if arg.startswith("AWS::") else self.short(arg)
            if fn == "Fn::GetAtt":
                target, attr = (arg if isinstance(arg, list) else arg.split(".", 1))[:2]
                return f"{self.short(target)}.{attr}"
            if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
                return str(arg[0]).join(self.render(v) for v in arg[1])
            if fn == "Fn::Sub":
                return self.render(arg[0] if isinstance(arg, list) else arg)
            if fn == "Fn::ImportValue":
                return "import:" + self.render(arg)
            return f"{fn}({self.render(arg)})"
        if isinstance(value, dict):
            return json.dumps(value, sort_keys=True)
        return str(value)

    def refs(self, value: Any) -> set[str]:
        """Logical IDs this value points at through Ref, Fn::GetAtt or Fn::Sub."""
        found: set[str] = set()
        if isinstance(value, dict):
            for key, arg in value.items():
                if key == "Ref" and isinstance(arg, str) and arg in self.resources:
                    found.add(arg)
                elif key == "Fn::GetAtt":
                    target = arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
                    if target in self.resources:
                        found.add(target)
                elif key == "Fn::Sub":
                    text = arg[0] if isinstance(arg, list) else arg
                    for name in re.findall(r"\$\{([A-Za-z0-9]+)[.}]", str(text)):
                        if name in self.resources:
                            found.add(name)
                    found |= self.refs(arg)
                else:
                    found |= self.refs(arg)
        elif isinstance(value, list):
            for item in value:
                found |= self.refs(item)
        return found


def load_stacks(assembly: Path) -> list[Stack]:
    manifest = json.loads((assembly / "manifest.json").read_text())
    stacks = []
    for name, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        template_file = artifact["properties"]["templateFile"]
        stacks.append(Stack(artifact.get("displayName", name), json.loads((assembly / template_file).read_text())))
    return stacks


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------------------------------------------------------
# Sections


def resources_by_type(stack: Stack) -> list[tuple[str, int]]:
    counts = collections.Counter(res.get("Type", "?") for res in stack.resources.values())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _principal_text(principal: Any, stack: Stack) -> str:
    if principal == "*":
        return "* (anyone)"
    if isinstance(principal, dict):
        return "; ".join(f"{kind}: {stack.render(v)}" for kind, v in principal.items())
    return stack.render(principal)


def _statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


def _statement_row(stack: Stack, statement: dict[str, Any], source: str) -> dict[str, Any]:
    actions = _as_list(statement.get("Action")) or ["NOT " + a for a in _as_list(statement.get("NotAction"))]
    resources = _as_list(statement.get("Resource")) or ["NOT " + stack.render(r) for r in _as_list(statement.get("NotResource"))]
    return {
        "effect": statement.get("Effect", "Allow"),
        "actions": sorted(stack.render(a) for a in actions),
        "resources": sorted({stack.render(r) for r in resources}),
        "conditions": _conditions(stack, statement.get("Condition")),
        "source": source,
    }


def _conditions(stack: Stack, condition: Any) -> str:
    """`Operator key = value, value` per line, with references rendered as construct paths."""
    if not isinstance(condition, dict):
        return stack.render(condition) if condition else ""
    lines = []
    for operator, tests in condition.items():
        for key, value in (tests.items() if isinstance(tests, dict) else [("", tests)]):
            lines.append(f"{operator} {key} = {stack.render(value)}")
    return "\n".join(lines)


def iam_matrix(stack: Stack) -> list[dict[str, Any]]:
    """One entry per role: who can assume it, and every statement attached to it (inline, Policy, ManagedPolicy)."""
    roles: dict[str, dict[str, Any]] = {}
    for logical_id, res in stack.of_type("AWS::IAM::Role"):
        props = res.get("Properties", {})
        trust = [
            _principal_text(s.get("Principal"), stack)
            for s in _statements(props.get("AssumeRolePolicyDocument"))
            if s.get("Effect", "Allow") == "Allow"
        ]
        rows = []
        for policy in _as_list(props.get("Policies")):
            for s in _statements(policy.get("PolicyDocument")):
                rows.append(_statement_row(stack, s, "inline " + stack.render(policy.get("PolicyName", ""))))
        managed = [stack.render(arn) for arn in _as_list(props.get("ManagedPolicyArns"))]
        roles[logical_id] = {
            "role": stack.short(logical_id),
            "logical_id": logical_id,
            "trust": trust,
            "managed": managed,
            "rows": rows,
        }
    for logical_id, res in stack.of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        props = res.get("Properties", {})
        kind = "policy" if res["Type"] == "AWS::IAM::Policy" else "managed policy"
        for role_ref in _as_list(props.get("Roles")):
            targets = stack.refs(role_ref)
            for target in targets or {stack.render(role_ref)}:
                entry = roles.setdefault(
                    target,
                    {"role": stack.render(role_ref), "logical_id": target, "trust": ["(imported role)"],
                     "managed": [], "rows": []},
                )
                for s in _statements(props.get("PolicyDocument")):
                    entry["rows"].append(_statement_row(stack, s, f"{kind} {stack.short(logical_id)}"))
    return sorted(roles.values(), key=lambda r: r["role"])


_RESOURCE_POLICIES = {
    "AWS::S3::BucketPolicy": ("PolicyDocument", "Bucket"),
    "AWS::SNS::TopicPolicy": ("PolicyDocument", "Topics"),
    "AWS::SQS::QueuePolicy": ("PolicyDocument", "Queues"),
    "AWS::KMS::Key": ("KeyPolicy", None),
    "AWS::ApiGateway::RestApi": ("Policy", None),
}


def resource_policies(stack: Stack) -> list[dict[str, Any]]:
    """Statements of resource policies (buckets, topics, queues, keys, APIs) and Lambda permissions."""
    rows = []
    for logical_id, res in stack.of_type(*_RESOURCE_POLICIES):
        doc_key, target_key = _RESOURCE_POLICIES[res["Type"]]
        props = res.get("Properties", {})
        target = stack.render(props[target_key]) if target_key else stack.short(logical_id)
        for s in _statements(props.get(doc_key)):
            row = _statement_row(stack, s, res["Type"])
            row["target"] = target
            row["principal"] = _principal_text(s.get("Principal", s.get("NotPrincipal")), stack)
            rows.append(row)
    for logical_id, res in stack.of_type("AWS::Lambda::Permission"):
        props = res.get("Properties", {})
        rows.append(
            {
                "target": stack.render(props.get("FunctionName")),
                "principal": stack.render(props.get("Principal")),
                "effect": "Allow",
                "actions": [stack.render(props.get("Action"))],
                "resources": [stack.render(props.get("FunctionName"))],
                "conditions": "\n".join(
                    f"{key} = {stack.render(props[key])}" for key in ("SourceArn", "SourceAccount") if props.get(key)
                ),
                "source": res["Type"],
            }
        )
    return rows


def _public_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any(v == "*" or v == ["*"] for v in principal.values())
    return False


def exposure(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    apis: list[dict[str, Any]] = []
    methods_by_api: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for logical_id, res in stack.of_type("AWS::ApiGateway::Method"):
        props = res.get("Properties", {})
        api = next(iter(stack.refs(props.get("RestApiId"))), "?")
        path = stack.path(logical_id).split("/")
        # .../Api/Default/<resource path...>/<VERB>/Resource
        route = "/" + "/".join(path[path.index("Default") + 1 : -2]) if "Default" in path else stack.short(logical_id)
        methods_by_api[api].append(
            {
                "method": props.get("HttpMethod"),
                "route": route,
                "auth": props.get("AuthorizationType", "NONE"),
                "api_key": bool(props.get("ApiKeyRequired")),
                "authorizer": stack.render(props["AuthorizerId"]) if props.get("AuthorizerId") else "",
            }
        )
    for logical_id, res in stack.of_type("AWS::ApiGateway::Stage"):
        props = res.get("Properties", {})
        api = next(iter(stack.refs(props.get("RestApiId"))), "?")
        api_props = stack.resources.get(api, {}).get("Properties", {})
        endpoint_types = api_props.get("EndpointConfiguration", {}).get("Types", ["EDGE"])
        apis.append(
            {
                "api": stack.short(api),
                "stage": stack.render(props.get("StageName")),
                "endpoint": ", ".join(endpoint_types),
                "resource_policy": bool(api_props.get("Policy")),
                "waf": any(
                    stack.refs(r.get("Properties", {}).get("ResourceArn")) & {logical_id}
                    for _, r in stack.of_type("AWS::WAFv2::WebACLAssociation")
                ),
                "throttle": ", ".join(
                    f"{s.get('ThrottlingRateLimit')}/s burst {s.get('ThrottlingBurstLimit')}"
                    for s in props.get("MethodSettings", [])
                    if "ThrottlingRateLimit" in s
                ),
                "methods": sorted(methods_by_api.get(api, []), key=lambda m: (m["route"], m["method"] or "")),
            }
        )
    public: list[dict[str, Any]] = []
    for logical_id, res in stack.of_type("AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy"):
        for s in _statements(res.get("Properties", {}).get("PolicyDocument")):
            if s.get("Effect") == "Allow" and _public_principal(s.get("Principal")) and not s.get("Condition"):
                public.append({"resource": stack.short(logical_id), "why": "Allow to * without a condition: "
                               + ", ".join(_as_list(s.get("Action")))})
    for logical_id, res in stack.of_type("AWS::S3::Bucket"):
        block = res.get("Properties", {}).get("PublicAccessBlockConfiguration")
        keys = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")
        if not block or not all(block.get(k) is True for k in keys):
            public.append({"resource": stack.short(logical_id), "why": "public access block not fully on"})
    ingress: list[tuple[str, dict[str, Any]]] = []
    for logical_id, res in stack.of_type("AWS::EC2::SecurityGroup"):
        ingress += [(logical_id, rule) for rule in res.get("Properties", {}).get("SecurityGroupIngress", [])]
    for logical_id, res in stack.of_type("AWS::EC2::SecurityGroupIngress"):
        ingress.append((next(iter(stack.refs(res["Properties"].get("GroupId"))), logical_id), res["Properties"]))
    for group, rule in ingress:
        if rule.get("CidrIp") == "0.0.0.0/0" or rule.get("CidrIpv6") == "::/0":
            public.append({"resource": stack.short(group), "why": f"ingress from anywhere, ports "
                           f"{rule.get('FromPort', 'all')}-{rule.get('ToPort', 'all')}"})
    for logical_id, res in stack.of_type("AWS::Lambda::Permission"):
        if res.get("Properties", {}).get("Principal") == "*":
            public.append({"resource": stack.short(logical_id), "why": "Lambda invocable by any principal"})
    for logical_id, res in stack.of_type("AWS::Lambda::Url"):
        if res.get("Properties", {}).get("AuthType") == "NONE":
            public.append({"resource": stack.short(logical_id), "why": "function URL without auth"})
    for logical_id, res in stack.of_type("AWS::SageMaker::NotebookInstance"):
        if res.get("Properties", {}).get("DirectInternetAccess", "Enabled") == "Enabled":
            public.append({"resource": stack.short(logical_id), "why": "notebook with direct internet access"})
    return {"apis": apis, "public": public}


# Data store type -> how to find its key(s): list of (label, path of keys into Properties)
_ENCRYPTION: dict[str, list[tuple[str, tuple[Any, ...]]]] = {
    "AWS::S3::Bucket": [("objects", ("BucketEncryption", "ServerSideEncryptionConfiguration", 0,
                                     "ServerSideEncryptionByDefault"))],
    "AWS::SQS::Queue": [("messages", ("KmsMasterKeyId",))],
    "AWS::SNS::Topic": [("messages", ("KmsMasterKeyId",))],
    "AWS::Logs::LogGroup": [("log events", ("KmsKeyId",))],
    "AWS::SageMaker::EndpointConfig": [("instance storage", ("KmsKeyId",)),
                                        ("async output", ("AsyncInferenceConfig", "OutputConfig", "KmsKeyId"))],
    "AWS::SageMaker::NotebookInstance": [("notebook volume", ("KmsKeyId",))],
    "AWS::SageMaker::Domain": [("home EFS", ("KmsKeyId",))],
    "AWS::SageMaker::ModelCard": [("content", ("SecurityConfig", "KmsKeyId"))],
    "AWS::StepFunctions::StateMachine": [("definition and history", ("EncryptionConfiguration", "KmsKeyId"))],
    "AWS::Lambda::Function": [("environment variables", ("KmsKeyArn",))],
    "AWS::DynamoDB::Table": [("items", ("SSESpecification", "KMSMasterKeyId"))],
    "AWS::SecretsManager::Secret": [("secret", ("KmsKeyId",))],
    "AWS::Kinesis::Stream": [("records", ("StreamEncryption", "KeyId"))],
    "AWS::ECR::Repository": [("images", ("EncryptionConfiguration", "KmsKey"))],
}

_DEFAULT_ENCRYPTION = {
    "AWS::SQS::Queue": "SQS-managed SSE" ,
    "AWS::SNS::Topic": "none (no KMS key)",
    "AWS::Logs::LogGroup": "CloudWatch Logs service key",
    "AWS::Lambda::Function": "AWS-managed key (aws/lambda)",
    "AWS::StepFunctions::StateMachine": "AWS-owned key",
    "AWS::SageMaker::EndpointConfig": "AWS-managed key",
    "AWS::DynamoDB::Table": "AWS-owned key",
}


def _dig(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and len(value) > key else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def encryption_map(stack: Stack) -> list[dict[str, Any]]:
    rows = []
    for logical_id, res in stack.resources.items():
        specs = _ENCRYPTION.get(res.get("Type", ""))
        if not specs:
            continue
        props = res.get("Properties", {})
        for label, path in specs:
            if label == "async output" and "AsyncInferenceConfig" not in props:
                continue
            value = _dig(props, path)
            rotation = ""
            if res["Type"] == "AWS::S3::Bucket":
                algorithm = (value or {}).get("SSEAlgorithm")
                key_value = (value or {}).get("KMSMasterKeyID")
                if key_value is not None:
                    key, key_ids = stack.render(key_value), stack.refs(key_value)
                elif algorithm == "aws:kms":
                    key, key_ids = "AWS-managed key (aws/s3)", set()
                else:
                    key, key_ids = ("SSE-S3 (" + algorithm + ")") if algorithm else "SSE-S3 (S3 default)", set()
            elif value is not None:
                key, key_ids = stack.render(value), stack.refs(value)
            elif res["Type"] == "AWS::SQS::Queue" and props.get("SqsManagedSseEnabled") is False:
                key, key_ids = "none", set()
            else:
                key, key_ids = _DEFAULT_ENCRYPTION.get(res["Type"], "service default"), set()
            for key_id in key_ids:
                key_res = stack.resources.get(key_id, {})
                if key_res.get("Type") == "AWS::KMS::Key":
                    key = stack.short(key_id)
                    rotation = "on" if key_res.get("Properties", {}).get("EnableKeyRotation") else "OFF"
            rows.append(
                {
                    "store": stack.short(logical_id),
                    "logical_id": logical_id,
                    "type": res["Type"],
                    "data": label,
                    "key": key,
                    "customer_key": any(stack.resources.get(k, {}).get("Type") == "AWS::KMS::Key" for k in key_ids),
                    "rotation": rotation,
                }
            )
    return rows


def capacity(stack: Stack) -> list[dict[str, Any]]:
    """Instances per endpoint variant: at rest, at the autoscaling maximum, and while a blue/green update runs."""
    targets: dict[str, dict[str, Any]] = {}
    for _, res in stack.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        props = res.get("Properties", {})
        if props.get("ServiceNamespace") != "sagemaker":
            continue
        resource_id = props.get("ResourceId")
        text = resource_id if isinstance(resource_id, str) else stack.render(resource_id)
        targets[text] = props
    rows = []
    for endpoint_id, endpoint in stack.of_type("AWS::SageMaker::Endpoint"):
        props = endpoint.get("Properties", {})
        config_ids = stack.refs(props.get("EndpointConfigName"))
        name = props.get("EndpointName")
        name_text = name if isinstance(name, str) else f"{stack.short(endpoint_id)}.EndpointName"
        blue_green = "BlueGreenUpdatePolicy" in props.get("DeploymentConfig", {})
        rolling = "RollingUpdatePolicy" in props.get("DeploymentConfig", {})
        for config_id in config_ids:
            config = stack.resources[config_id].get("Properties", {})
            for variant in config.get("ProductionVariants", []):
                variant_name = variant.get("VariantName")
                # ResourceId is endpoint/<name>/variant/<variant>, literal or a Join on the endpoint's name.
                short = stack.short(endpoint_id)
                ids = {f"endpoint/{n}/variant/{variant_name}" for n in (name_text, short, f"{short}.EndpointName")}
                target = next((t for text, t in targets.items() if text in ids), None)
                if "ServerlessConfig" in variant:
                    server = variant["ServerlessConfig"]
                    rows.append({
                        "endpoint": name_text, "variant": variant_name, "instance_type": "serverless",
                        "at_rest": 0, "at_max": 0, "during_update": 0,
                        "note": f"serverless: up to {server.get('MaxConcurrency')} concurrent invocations, "
                                f"{server.get('MemorySizeInMB')} MB",
                    })
                    continue
                at_rest = variant.get("InitialInstanceCount", 0)
                at_max = target.get("MaxCapacity", at_rest) if target else at_rest
                at_min = target.get("MinCapacity") if target else None
                # DeploymentConfig (SageMaker API reference): a blue/green update, also the default when no policy
                # is given, "creates a new fleet during the deployment while maintaining the old fleet", so the
                # peak is twice the fleet; a rolling update adds one batch (RollingUpdatePolicy.MaximumBatchSize).
                during = 2 * at_max
                if rolling:
                    batch = props["DeploymentConfig"]["RollingUpdatePolicy"].get("MaximumBatchSize", {})
                    size = batch.get("Value", 100)
                    during = at_max + (size if batch.get("Type") == "INSTANCE_COUNT" else -(-at_max * size // 100))
                note = []
                if target:
                    note.append(f"autoscaling {at_min}..{at_max}")
                note.append("blue/green update" if blue_green else ("rolling update" if rolling else
                                                                     "default (blue/green) update"))
                rows.append({
                    "endpoint": name_text, "variant": variant_name,
                    "instance_type": stack.render(variant.get("InstanceType")),
                    "at_rest": at_rest, "at_max": at_max, "during_update": during, "note": "; ".join(note),
                })
    return rows


# ---------------------------------------------------------------------------------------------------------------
# Scanners


def _nag_synth(outdir: Path, packs: list[str]) -> None:
    """Runs in the subprocess: synthesize the reference app with `packs`, never failing on their findings."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "18,20")
    sys.path[:0] = [str(ROOT)]
    import aws_cdk as cdk
    import cdk_nag

    from stacks.app_builder import build_app

    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    context["@aws-cdk/core:failSynthOnValidationErrors"] = False
    app = cdk.App(outdir=str(outdir), context=context, builtin_cloud_formation_validation=False)
    build_app(app)
    cdk.Validations.of(app).add_plugins(*(getattr(cdk_nag, _PACK_CLASSES[p])(app) for p in packs))
    app.synth()


def nag_findings(assembly: Path, *, extra_packs: bool) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every cdk-nag finding of the four packs, open and acknowledged; and, per pack, where it came from."""
    reports = []
    origin: dict[str, str] = {}
    report_file = assembly / "validation-report.json"
    if report_file.exists():
        report = json.loads(report_file.read_text())
        reports.append(report)
        for plugin in report.get("pluginReports", []):
            origin[plugin["pluginName"]] = "the assembly's synth"
    missing = [p for p in PACKS if p not in origin]
    if missing and extra_packs:
        with tempfile.TemporaryDirectory(prefix="review-nag-") as tmp:
            subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--nag-synth", tmp, *missing],
                check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
            )
            extra = Path(tmp) / "validation-report.json"
            if extra.exists():
                report = json.loads(extra.read_text())
                reports.append(report)
                for plugin in report.get("pluginReports", []):
                    origin.setdefault(plugin["pluginName"], "a review synth of the reference app")
            for pack in missing:  # a pack with nothing to say writes an empty plugin report; keep it visible
                origin.setdefault(pack, "a review synth of the reference app")
    findings = []
    for report in reports:
        for plugin in report.get("pluginReports", []):
            for state, key in (("open", "violations"), ("accepted", "suppressedViolations")):
                for violation in plugin.get(key, []) or []:
                    for construct in violation.get("violatingConstructs", []) or [{}]:
                        path = construct.get("constructPath", "")
                        findings.append({
                            "scanner": "cdk-nag " + plugin["pluginName"],
                            "stack": path.split("/")[0],
                            "rule": violation.get("ruleName", ""),
                            "resource": path,
                            "state": state,
                            "reason": violation.get("reason", "") if state == "accepted" else
                            violation.get("description", ""),
                        })
    return findings, origin


def checkov_findings(stacks: list[Stack], results: Path) -> tuple[list[dict[str, Any]], str]:
    findings = []
    by_logical: dict[str, dict[str, Stack]] = collections.defaultdict(dict)
    for stack in stacks:
        for logical_id in stack.resources:
            by_logical[stack.name][logical_id] = stack
    status = ""
    if results.exists():
        data = json.loads(results.read_text())
        runs = data if isinstance(data, list) else [data]
        total: collections.Counter[str] = collections.Counter()
        version = ""
        for run in runs:
            if run.get("check_type") not in (None, "cloudformation"):
                continue
            total.update({k: v for k, v in run.get("summary", {}).items() if isinstance(v, int)})
            version = run.get("summary", {}).get("checkov_version", version)
            for key, state in (("failed_checks", "open"), ("skipped_checks", "accepted")):
                for check in run.get("results", {}).get(key, []):
                    stack_name = Path(check.get("file_path", "")).name.removesuffix(".template.json")
                    logical_id = check.get("resource", "").split(".", 1)[-1]
                    stack = by_logical.get(stack_name, {}).get(logical_id)
                    findings.append({
                        "scanner": "checkov",
                        "stack": stack_name,
                        "rule": check.get("check_id", ""),
                        "resource": stack.path(logical_id) if stack else check.get("resource", ""),
                        "state": state,
                        "reason": check.get("check_result", {}).get("suppress_comment", "")
                        if state == "accepted" else check.get("check_name", ""),
                    })
        status = (f"checkov {version}: {total.get('passed', 0)} passed, "
                  f"{total.get('failed', 0)} failed, {total.get('skipped', 0)} skipped (from {results})")
        manifest = results.parent.parent / "manifest.json"
        if manifest.exists() and results.stat().st_mtime < manifest.stat().st_mtime:
            status += "; older than the assembly: run make checkov again"
        return findings, status
    # checkov not run: still show the skips the templates declare, so their reasons are reviewable.
    for stack in stacks:
        for logical_id, res in stack.resources.items():
            for skip in _as_list(res.get("Metadata", {}).get("checkov", {}).get("skip")):
                findings.append({
                    "scanner": "checkov", "stack": stack.name, "rule": skip.get("id", ""),
                    "resource": stack.path(logical_id), "state": "accepted", "reason": skip.get("comment", ""),
                })
    return findings, "checkov was not run: run make checkov (skips declared in the templates are listed)"


def cfn_lint_findings(stacks: list[Stack]) -> tuple[list[dict[str, Any]], str]:
    from cfnlint.api import ManualArgs, lint
    import cfnlint.version

    config_file = ROOT / ".cfnlintrc.yaml"
    ignored: dict[str, str] = {}
    if config_file.exists():
        comment: list[str] = []
        for line in config_file.read_text().splitlines():
            stripped = line.strip()
            match = re.match(r"-\s*([EWI]\d{4})\b", stripped)
            if stripped.startswith("#") and not stripped.startswith("# cfn-lint configuration"):
                comment.append(stripped.lstrip("# "))
            elif match:
                ignored[match.group(1)] = " ".join(comment)
                comment = []
            elif not stripped.startswith("#"):
                comment = []
    findings = []
    for stack in stacks:
        matches = lint(json.dumps(stack.template),
                       config=ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=list(ignored)))
        for m in matches:
            path = [str(p) for p in m.path]
            resource = stack.path(path[1]) if len(path) > 1 and path[0] == "Resources" else "/".join(path)
            findings.append({"scanner": "cfn-lint", "stack": stack.name, "rule": m.rule.id, "resource": resource,
                             "state": "open", "reason": m.message})
    for rule, reason in ignored.items():
        findings.append({"scanner": "cfn-lint", "stack": "(all)", "rule": rule, "resource": ".cfnlintrc.yaml",
                         "state": "accepted", "reason": reason})
    return findings, f"cfn-lint {cfnlint.version.__version__}, regions us-east-1 and eu-west-1"


# ---------------------------------------------------------------------------------------------------------------
# Diagram

# Resources drawn as their own node. Everything else folds into the node it references first (a policy into its
# role, a stage into its API, a subnet into its VPC), or is left out of the picture (still counted in Resources).
_MAIN = {
    "AWS::S3::Bucket": ("Bucket", "#e8f5e9"),
    "AWS::KMS::Key": ("KMS key", "#fff8e1"),
    "AWS::IAM::Role": ("Role", "#fce4ec"),
    "AWS::Lambda::Function": ("Function", "#fff3e0"),
    "AWS::SageMaker::Model": ("Model", "#e3f2fd"),
    "AWS::SageMaker::EndpointConfig": ("Endpoint config", "#e3f2fd"),
    "AWS::SageMaker::Endpoint": ("Endpoint", "#bbdefb"),
    "AWS::SageMaker::NotebookInstance": ("Notebook", "#e3f2fd"),
    "AWS::SageMaker::Domain": ("Studio domain", "#e3f2fd"),
    "AWS::SageMaker::Workteam": ("Workteam", "#e3f2fd"),
    "AWS::SageMaker::ModelPackageGroup": ("Model registry", "#e3f2fd"),
    "AWS::SageMaker::Pipeline": ("Pipeline", "#e3f2fd"),
    "AWS::ApiGateway::RestApi": ("REST API", "#ede7f6"),
    "AWS::StepFunctions::StateMachine": ("State machine", "#f3e5f5"),
    "AWS::SNS::Topic": ("Topic", "#e0f7fa"),
    "AWS::SQS::Queue": ("Queue", "#e0f7fa"),
    "AWS::Events::Rule": ("Event rule", "#f1f8e9"),
    "AWS::EC2::VPC": ("VPC", "#eceff1"),
    "AWS::EC2::SecurityGroup": ("Security group", "#eceff1"),
    "AWS::ApplicationAutoScaling::ScalableTarget": ("Autoscaling", "#f9fbe7"),
    "AWS::CloudWatch::Dashboard": ("Dashboard", "#fafafa"),
    "Custom::CDKBucketDeployment": ("Bucket deployment", "#fafafa"),
    "AWS::DynamoDB::Table": ("Table", "#e8f5e9"),
}
_SKIP = {"AWS::CDK::Metadata"}
# Where a folded resource belongs, when it names several resources: its property that names the owner.
_FOLD_INTO = {
    "AWS::IAM::Policy": "Roles",
    "AWS::IAM::ManagedPolicy": "Roles",
    "AWS::S3::BucketPolicy": "Bucket",
    "AWS::SNS::TopicPolicy": "Topics",
    "AWS::SQS::QueuePolicy": "Queues",
    "AWS::Lambda::Permission": "FunctionName",
    "AWS::ApiGateway::Stage": "RestApiId",
    "AWS::ApiGateway::Deployment": "RestApiId",
    "AWS::ApiGateway::Method": "RestApiId",
    "AWS::ApiGateway::Resource": "RestApiId",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "ScalingTargetId",
    "AWS::Lambda::EventInvokeConfig": "FunctionName",
    "AWS::EC2::VPCEndpoint": "VpcId",
    "AWS::EC2::FlowLog": "ResourceId",
}
# Edges to these are drawn only when they are the only thing linking two constructs (they touch everything).
_QUIET_TARGETS = {"AWS::KMS::Key", "AWS::IAM::Role"}


def _dot_id(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def architecture_dot(stack: Stack) -> str:
    main = {lid for lid, r in stack.resources.items() if r.get("Type") in _MAIN}
    owner: dict[str, str] = {lid: lid for lid in main}
    folded: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    # A role that one resource uses (a function's, a model's, a state machine's) is drawn inside that resource:
    # its policies then fold in too, so the resource's arrows show what it may touch.
    for lid in sorted(main):
        if stack.resources[lid]["Type"] != "AWS::IAM::Role":
            continue
        users = {u for u in main if u != lid and stack.resources[u]["Type"] != "AWS::IAM::Role"
                 and lid in stack.refs(stack.resources[u].get("Properties", {}))}
        if len(users) == 1:
            user = users.pop()
            owner[lid] = user
            folded[user]["role"] += 1
    main = {lid for lid in main if owner[lid] == lid}
    pending = [lid for lid, r in stack.resources.items() if lid not in owner and r.get("Type") not in _SKIP]
    for _ in range(3):  # a method folds into its API through a resource that folds first
        rest = []
        for lid in pending:
            res = stack.resources[lid]
            props = res.get("Properties", {})
            anchor = _FOLD_INTO.get(res["Type"], "")
            targets = [t for t in _ordered_refs(stack, [props.get(anchor), props]) if t in owner]
            # Fold into what the resource is about (a stage into its API), not into the key that encrypts it.
            # and into its own construct before another one (an API deployment names the endpoint it serves).
            targets.sort(key=lambda t: (stack.resources[owner[t]]["Type"] in _QUIET_TARGETS,
                                        _group(stack, t) != _group(stack, lid)))
            if targets:
                owner[lid] = owner[targets[0]]
                folded[owner[lid]][res["Type"].split("::")[-1]] += 1
            else:
                rest.append(lid)
        pending = rest
    # An alarm (or anything else left) with no resource reference joins its construct as one summary node.
    summaries: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for lid in pending:
        group = _group(stack, lid)
        summaries[group][stack.resources[lid]["Type"].split("::")[-1]] += 1
        owner[lid] = f"summary:{group}"

    edges: set[tuple[str, str]] = set()
    for lid, res in stack.resources.items():
        source = owner.get(lid)
        if source is None:
            continue
        for target in stack.refs(res.get("Properties", {})):
            dest = owner.get(target)
            if dest and dest != source and not dest.startswith("summary:"):
                edges.add((source, dest))

    groups: dict[str, list[str]] = collections.defaultdict(list)
    for lid in sorted(main):
        groups[_group(stack, lid)].append(lid)
    for group in summaries:
        groups[group].append(f"summary:{group}")

    lines = [
        "digraph G {",
        '  graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.6, compound=true, '
        'newrank=true, pad=0.2];',
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10, color="#90a4ae", '
        'margin="0.12,0.06"];',
        '  edge [color="#78909c", arrowsize=0.6];',
    ]
    for index, (group, members) in enumerate(sorted(groups.items())):
        lines.append(f"  subgraph cluster_{index} {{")
        lines.append(f'    label={_dot_id(group)}; style="rounded,dashed"; color="#b0bec5"; fontcolor="#37474f";')
        for node in members:
            if node.startswith("summary:"):
                label = "\\n".join(f"{n} {kind}" for kind, n in sorted(summaries[group].items()))
                lines.append(f'    {_dot_id(node)} [label={_dot_id(label)}, fillcolor="#fafafa", '
                             'style="rounded,filled,dashed"];')
                continue
            kind, colour = _MAIN[stack.resources[node]["Type"]]
            name = stack.short(node)
            name = name[len(group) + 1 :] if name.startswith(group + "/") else name.split("/")[-1]
            plain = name.lower().replace(" ", "")
            label = kind + ("\\n" + name if name and name != group and plain != kind.lower().replace(" ", "") else "")
            extra = folded.get(node)
            if extra:
                label += "\\n+ " + ", ".join(f"{n} {kind}" for kind, n in sorted(extra.items()))
            lines.append(f"    {_dot_id(node)} [label={_dot_id(label)}, fillcolor={_dot_id(colour)}];")
        lines.append("  }")
    quiet = {(s, d) for s, d in edges if stack.resources.get(d, {}).get("Type") in _QUIET_TARGETS}
    for source, dest in sorted(edges):
        if (source, dest) in quiet:
            if _group(stack, source) == _group(stack, dest):
                lines.append(f'  {_dot_id(source)} -> {_dot_id(dest)} [color="#cfd8dc"];')
            else:
                lines.append(f'  {_dot_id(source)} -> {_dot_id(dest)} [color="#cfd8dc", style=dashed, '
                             'constraint=false];')
        else:
            lines.append(f"  {_dot_id(source)} -> {_dot_id(dest)};")
    lines.append("}")
    return "\n".join(lines)


def _ordered_refs(stack: Stack, value: Any) -> list[str]:
    out: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for key, arg in v.items():
                if key == "Ref" and isinstance(arg, str) and arg in stack.resources:
                    out.append(arg)
                elif key == "Fn::GetAtt":
                    target = arg[0] if isinstance(arg, list) else str(arg).split(".", 1)[0]
                    if target in stack.resources:
                        out.append(target)
                else:
                    walk(arg)
        elif isinstance(v, list):
            for item in v:
                walk(item)

    walk(value)
    return out


def _group(stack: Stack, logical_id: str) -> str:
    parts = stack.path(logical_id).split("/")
    return parts[1] if len(parts) > 2 else "(stack)"


def render_svgs(dots: list[str]) -> list[str]:
    proc = subprocess.run(
        ["node", str(ROOT / "scripts" / "render_dot.mjs")],
        input=json.dumps(dots), capture_output=True, text=True, cwd=ROOT, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit("Rendering the diagrams failed (is `make setup` done? it installs @viz-js/viz):\n"
                         + proc.stderr)
    svgs: list[str] = json.loads(proc.stdout)
    # Inline SVG: drop the XML prolog and doctype; let CSS size it.
    return [re.sub(r"^.*?(<svg)", r"\1", svg, flags=re.S) for svg in svgs]


# ---------------------------------------------------------------------------------------------------------------
# HTML

_CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bad:#c62828; --ok:#2e7d32; --warn:#ef6c00; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; }
header { background: #102a43; color: #fff; padding: 18px 32px; }
header h1 { margin: 0; font-size: 22px; }
header p { margin: 4px 0 0; color: #bcccdc; }
nav { position: sticky; top: 0; background: #f5f7fa; border-bottom: 1px solid var(--line); padding: 8px 32px;
      z-index: 2; }
nav a { margin-right: 16px; color: #334e68; text-decoration: none; font-weight: 600; }
main { padding: 8px 32px 48px; max-width: 1600px; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 36px; }
h3 { margin: 22px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; background: #fff; }
.card .n { font-size: 26px; font-weight: 700; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.bad { border-color: var(--bad); background: #ffebee; } .card.bad .n { color: var(--bad); }
.card.ok .n { color: var(--ok); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f5f7fa; position: sticky; top: 37px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code.nowrap { white-space: nowrap; word-break: normal; }
code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
.tag { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 12px; font-weight: 600; }
.tag.open { background: #ffebee; color: var(--bad); } .tag.accepted { background: #e8f5e9; color: var(--ok); }
.tag.warn { background: #fff3e0; color: var(--warn); }
.muted { color: var(--muted); }
.diagram { border: 1px solid var(--line); border-radius: 8px; padding: 8px; overflow-x: auto; background: #fff; }
.diagram svg { max-width: 100%; height: auto; cursor: zoom-in; }
.diagram.full svg { max-width: none; cursor: zoom-out; }
details { margin: 4px 0; } summary { cursor: pointer; }
ul.tight { margin: 4px 0; padding-left: 20px; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _table(headers: list[str], rows: list[list[str]], numeric: Iterable[int] = ()) -> str:
    nums = set(numeric)
    head = "".join(f'<th class="num">{_e(h)}</th>' if i in nums else f"<th>{_e(h)}</th>"
                   for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in nums else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _card(number: Any, label: str, cls: str = "") -> str:
    return f'<div class="card {cls}"><div class="n">{_e(number)}</div><div class="l">{_e(label)}</div></div>'


def build(assembly: Path, out: Path, *, checkov: Path | None = None, extra_packs: bool = True) -> dict[str, Any]:
    """Write `out`/index.html and `out`/review.json (the same facts, for tests and tools); return the facts."""
    started = time.monotonic()
    stacks = load_stacks(assembly)
    nag, nag_origin = nag_findings(assembly, extra_packs=extra_packs)
    ck, ck_status = checkov_findings(stacks, checkov or assembly / "checkov" / "results_json.json")
    lint_found, lint_status = cfn_lint_findings(stacks)
    findings = nag + ck + lint_found
    svgs = render_svgs([architecture_dot(s) for s in stacks])

    facts: dict[str, Any] = {"stacks": {}, "findings": findings, "nag_packs": nag_origin,
                             "checkov": ck_status, "cfn_lint": lint_status}
    for stack in stacks:
        facts["stacks"][stack.name] = {
            "resources": len(stack.resources),
            "by_type": dict(resources_by_type(stack)),
            "iam": iam_matrix(stack),
            "resource_policies": resource_policies(stack),
            "exposure": exposure(stack),
            "encryption": encryption_map(stack),
            "capacity": capacity(stack),
        }
    out.mkdir(parents=True, exist_ok=True)
    (out / "review.json").write_text(json.dumps(facts, indent=1, sort_keys=True))
    (out / "index.html").write_text(_html(stacks, facts, svgs))
    facts["seconds"] = round(time.monotonic() - started, 1)
    return facts


def _html(stacks: list[Stack], facts: dict[str, Any], svgs: list[str]) -> str:
    findings = facts["findings"]
    open_findings = [f for f in findings if f["state"] == "open"]
    accepted = [f for f in findings if f["state"] == "accepted"]
    all_stacks = facts["stacks"]
    total_resources = sum(s["resources"] for s in all_stacks.values())
    roles = sum(len(s["iam"]) for s in all_stacks.values())
    public = [(n, p) for n, s in all_stacks.items() for p in s["exposure"]["public"]]
    apis = [(n, a) for n, s in all_stacks.items() for a in s["exposure"]["apis"]]
    unauth = [(n, a, m) for n, a in apis for m in a["methods"] if m["auth"] == "NONE" and not m["api_key"]]
    cap = [(n, c) for n, s in all_stacks.items() for c in s["capacity"]]
    unencrypted = [(n, e) for n, s in all_stacks.items() for e in s["encryption"] if not e["customer_key"]]

    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Review: what this app deploys"
             f"</title><style>{_CSS}</style></head><body>"]
    parts.append("<header><h1>Review: what this app deploys</h1><p>"
                 f"{len(stacks)} stacks, {total_resources} resources, from the cloud assembly "
                 f"({_e(', '.join(s.name for s in stacks))}). Generated by <code>make review</code>.</p></header>")
    parts.append("<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t in [
        ("summary", "Summary"), ("diagrams", "Architecture"), ("resources", "Resources"), ("iam", "IAM"),
        ("exposure", "Exposure"), ("encryption", "Encryption"), ("capacity", "Capacity"),
        ("findings", "Findings")]) + "</nav><main>")

    # --- First screen
    parts.append('<section id="summary"><h2>Summary</h2><div class="cards">')
    parts.append(_card(len(stacks), "stacks") + _card(total_resources, "resources") + _card(roles, "IAM roles"))
    parts.append(_card(len(open_findings), "open findings", "bad" if open_findings else "ok"))
    parts.append(_card(len(accepted), "accepted findings"))
    parts.append(_card(len(public), "public resources", "bad" if public else "ok"))
    parts.append(_card(len(unauth), "unauthenticated API methods", "bad" if unauth else "ok"))
    parts.append(_card(sum(c["at_rest"] for _, c in cap), "instances at rest"))
    parts.append(_card(sum(c["at_max"] for _, c in cap), "at autoscaling max"))
    parts.append(_card(sum(c["during_update"] for _, c in cap), "peak during update"))
    parts.append("</div>")
    rows = []
    for name, s in all_stacks.items():
        stack_apis = s["exposure"]["apis"]
        auth = sorted({m["auth"] + (" + API key" if m["api_key"] else "") for a in stack_apis for m in a["methods"]})
        rows.append([
            f"<b>{_e(name)}</b>", str(s["resources"]), str(len(s["iam"])),
            _e(", ".join(dict.fromkeys(c["endpoint"] for c in s["capacity"])) or "-"),
            _e(", ".join(f"{a['api']} ({a['stage']})" for a in stack_apis) or "-") +
            (f"<br><span class='muted'>{_e(', '.join(auth))}</span>" if auth else ""),
            str(len(s["exposure"]["public"])),
            str(sum(1 for f in open_findings if f["stack"] == name)),
            str(sum(1 for f in accepted if f["stack"] == name)),
        ])
    parts.append(_table(["Stack", "Resources", "Roles", "Endpoints", "HTTPS APIs (stage) and auth", "Public",
                         "Open findings", "Accepted"], rows, numeric=(1, 2, 5, 6, 7)))
    if open_findings:
        by_rule = collections.Counter((f["scanner"], f["rule"]) for f in open_findings)
        parts.append("<h3>Open findings by rule</h3>" + _table(
            ["Scanner", "Rule", "Count"],
            [[_e(sc), f"<code>{_e(r)}</code>", str(n)] for (sc, r), n in by_rule.most_common()], numeric=(2,)))
    else:
        parts.append("<p><span class='tag accepted'>No open findings</span> from any scanner below.</p>")
    scanner_rows = []
    for pack in PACKS:
        mine = [f for f in findings if f["scanner"] == "cdk-nag " + pack]
        ran = pack in facts["nag_packs"]
        scanner_rows.append([_e("cdk-nag " + pack),
                             _e(facts["nag_packs"].get(pack, "not run")),
                             str(sum(f["state"] == "open" for f in mine)) if ran else "-",
                             str(sum(f["state"] == "accepted" for f in mine)) if ran else "-"])
    for scanner, status in (("checkov", facts["checkov"]), ("cfn-lint", facts["cfn_lint"])):
        mine = [f for f in findings if f["scanner"] == scanner]
        scanner_rows.append([scanner, _e(status), str(sum(f["state"] == "open" for f in mine)),
                             str(sum(f["state"] == "accepted" for f in mine))])
    parts.append("<h3>Scanners</h3>" + _table(["Scanner", "Source", "Open", "Accepted"], scanner_rows,
                                                numeric=(2, 3)))
    if unencrypted:
        parts.append(f"<p class='muted'>{len(unencrypted)} data stores use a service-managed key rather than one of"
                     " the app's KMS keys: see <a href='#encryption'>Encryption</a>.</p>")
    parts.append("</section>")

    # --- Diagrams
    parts.append('<section id="diagrams"><h2>Architecture</h2><p class="muted">Per stack, the main resources '
                 "grouped by the construct that creates them; an arrow points from a resource to what it "
                 "references (Ref / GetAtt). Policies, permissions, alarms and other low-level resources are folded "
                 "into the node they belong to (\"+ n Policy\"). Faint arrows lead to roles and keys. Click a diagram to "
                 "see it at full size.</p>")
    for stack, svg in zip(stacks, svgs):
        parts.append(f'<h3 id="diagram-{_e(stack.name)}">{_e(stack.name)}</h3>'
                     f'<div class="diagram" onclick="this.classList.toggle(\'full\')">{svg}</div>')
    parts.append("</section>")

    # --- Resources
    parts.append('<section id="resources"><h2>Resources by type</h2>')
    types = sorted({t for s in all_stacks.values() for t in s["by_type"]},
                   key=lambda t: (-sum(s["by_type"].get(t, 0) for s in all_stacks.values()), t))
    parts.append(_table(
        ["Type", *all_stacks, "Total"],
        [[f"<code>{_e(t)}</code>", *(str(s["by_type"].get(t, "")) for s in all_stacks.values()),
          str(sum(s["by_type"].get(t, 0) for s in all_stacks.values()))] for t in types]
        + [["<b>Total</b>", *(f"<b>{s['resources']}</b>" for s in all_stacks.values()), f"<b>{total_resources}</b>"]],
        numeric=range(1, len(all_stacks) + 2)))
    parts.append("</section>")

    # --- IAM
    parts.append('<section id="iam"><h2>IAM: who may do what to which resource</h2><p class="muted">Every role, '
                 "who can assume it, and every statement of its inline policies, attached policies and managed "
                 "policies. Resource policies (buckets, topics, queues, keys, Lambda permissions) follow per stack."
                 "</p>")
    for name, s in all_stacks.items():
        parts.append(f"<h3>{_e(name)}: {len(s['iam'])} roles</h3>")
        for role in s["iam"]:
            rows = [[_e(r["effect"]), "<br>".join(f"<code class='nowrap'>{_e(a)}</code>" for a in r["actions"]),
                     "<br>".join(f"<code>{_e(x)}</code>" for x in r["resources"]),
                     "<br>".join(f"<code>{_e(c)}</code>" for c in r["conditions"].splitlines()),
                     f"<span class='muted'>{_e(r['source'])}</span>"] for r in role["rows"]]
            managed = f" Managed policies: <code>{_e(', '.join(role['managed']))}</code>." if role["managed"] else ""
            parts.append(
                f"<details class='role' data-role='{_e(role['logical_id'])}'><summary><b>{_e(role['role'])}</b> "
                f"<span class='muted'>assumed by {_e('; '.join(role['trust']))}; "
                f"{len(role['rows']) or 'no'} policy statements"
                f"</span></summary>{managed}"
                + _table(["Effect", "Action", "Resource", "Condition", "From"], rows) + "</details>")
        policies = s["resource_policies"]
        if policies:
            parts.append(f"<details><summary>Resource policies in {_e(name)} ({len(policies)} statements)"
                         "</summary>" + _table(
                             ["Resource", "Principal", "Effect", "Action", "Condition"],
                             [[f"<code>{_e(p['target'])}</code>", f"<code>{_e(p['principal'])}</code>",
                               _e(p["effect"]), "<br>".join(f"<code class='nowrap'>{_e(a)}</code>" for a in p["actions"]),
                               "<br>".join(f"<code>{_e(c)}</code>" for c in p["conditions"].splitlines())]
                              for p in policies]) + "</details>")
    parts.append("</section>")

    # --- Exposure
    parts.append('<section id="exposure"><h2>Exposure: what is reachable from outside</h2>')
    if apis:
        rows = []
        for name, a in apis:
            for m in a["methods"]:
                auth_cls = "open" if m["auth"] == "NONE" and not m["api_key"] else "accepted"
                rows.append([_e(name), _e(a["api"]), _e(a["stage"]), _e(a["endpoint"]),
                             f"<code>{_e(m['method'])} {_e(m['route'])}</code>",
                             f"<span class='tag {auth_cls}'>{_e(m['auth'])}</span>"
                             + (" + API key" if m["api_key"] else ""),
                             "yes" if a["resource_policy"] else "no", _e(a["throttle"])])
        parts.append("<h3>API Gateway stages and their authorization</h3>" + _table(
            ["Stack", "API", "Stage", "Endpoint type", "Method", "Authorization", "Resource policy", "Throttling"],
            rows))
    else:
        parts.append("<p>No API Gateway stages.</p>")
    parts.append("<h3>Anything public</h3>")
    if public:
        parts.append(_table(["Stack", "Resource", "Why"],
                            [[_e(n), f"<code>{_e(p['resource'])}</code>", _e(p["why"])] for n, p in public]))
    else:
        parts.append("<p><span class='tag accepted'>Nothing public</span> no bucket, topic or queue policy allows "
                     "<code>*</code> without a condition, every bucket blocks public access, no security group admits "
                     "0.0.0.0/0 or ::/0, and no Lambda permission or function URL is open to everyone.</p>")
    parts.append("</section>")

    # --- Encryption
    parts.append('<section id="encryption"><h2>Encryption: which key protects which data</h2>')
    for name, s in all_stacks.items():
        parts.append(f"<h3>{_e(name)}</h3>" + _table(
            ["Data store", "Type", "Data", "Key", "Rotation"],
            [[f"<code>{_e(e['store'])}</code>", _e(e["type"]), _e(e["data"]),
              (f"<code>{_e(e['key'])}</code>" if e["customer_key"] else
               f"<span class='tag warn'>{_e(e['key'])}</span>"), _e(e["rotation"])] for e in s["encryption"]]))
    parts.append("</section>")

    # --- Capacity
    parts.append('<section id="capacity"><h2>Capacity: instances per endpoint variant</h2><p class="muted">At rest '
                 "= InitialInstanceCount; at max = the autoscaling target's MaxCapacity; during an update = the old "
                 "fleet at its maximum plus the new fleet SageMaker provisions beside it (blue/green doubles the "
                 "fleet). Check these against your account's per-instance-type endpoint quotas "
                 "(<code>make preflight</code>).</p>")
    if cap:
        parts.append(_table(
            ["Stack", "Endpoint", "Variant", "Instance type", "At rest", "At max", "During update", "Notes"],
            [[_e(n), f"<code>{_e(c['endpoint'])}</code>", _e(c["variant"]), _e(c["instance_type"]),
              str(c["at_rest"]), str(c["at_max"]), str(c["during_update"]), _e(c["note"])] for n, c in cap]
            + [["<b>Total</b>", "", "", "", f"<b>{sum(c['at_rest'] for _, c in cap)}</b>",
                f"<b>{sum(c['at_max'] for _, c in cap)}</b>", f"<b>{sum(c['during_update'] for _, c in cap)}</b>",
                ""]], numeric=(4, 5, 6)))
        per_type: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0])
        for _, c in cap:
            if c["instance_type"] != "serverless":
                for i, k in enumerate(("at_rest", "at_max", "during_update")):
                    per_type[c["instance_type"]][i] += c[k]
        parts.append("<h3>Per instance type (what the quotas count)</h3>" + _table(
            ["Instance type", "At rest", "At max", "During update"],
            [[f"<code>{_e(t)}</code>", *map(str, v)] for t, v in sorted(per_type.items())], numeric=(1, 2, 3)))
    else:
        parts.append("<p>No SageMaker endpoints.</p>")
    parts.append("</section>")

    # --- Findings
    parts.append('<section id="findings"><h2>Findings: every scanner, open and accepted</h2>')
    order = {"open": 0, "accepted": 1}
    for scanner in [*("cdk-nag " + p for p in PACKS), "checkov", "cfn-lint"]:
        mine = sorted((f for f in findings if f["scanner"] == scanner),
                      key=lambda f: (order[f["state"]], f["rule"], f["resource"]))
        n_open = sum(f["state"] == "open" for f in mine)
        parts.append(f"<details {'open' if n_open else ''}><summary><b>{_e(scanner)}</b>: "
                     f"{n_open} open, {len(mine) - n_open} accepted</summary>")
        if mine:
            parts.append(_table(
                ["State", "Rule", "Resource", "Reason (accepted) or description (open)"],
                [[f"<span class='tag {f['state']}'>{f['state']}</span>", f"<code>{_e(f['rule'])}</code>",
                  f"<code>{_e(f['resource'])}</code>", _e(f["reason"])] for f in mine]))
        parts.append("</details>")
    parts.append("</section></main></body></html>")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--nag-synth"]:
        _nag_synth(Path(args[1]), args[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assembly", type=Path, default=ROOT / "cdk.out")
    parser.add_argument("--out", type=Path, default=None, help="default: <assembly>/review")
    parser.add_argument("--checkov", type=Path, default=None, help="default: <assembly>/checkov/results_json.json")
    parser.add_argument("--skip-extra-packs", action="store_true",
                        help="report only the cdk-nag packs the assembly's synth ran (no second synth)")
    options = parser.parse_args(args)
    out = options.out or options.assembly / "review"
    facts = build(options.assembly, out, checkov=options.checkov, extra_packs=not options.skip_extra_packs)
    n_open = sum(f["state"] == "open" for f in facts["findings"])
    print(f"Review written to {out / 'index.html'} in {facts['seconds']} s: {len(facts['stacks'])} stacks, "
          f"{n_open} open findings.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
