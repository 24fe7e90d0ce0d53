"""Shared test helpers: synthesize with cdk-nag packs, lint templates with cfn-lint, scrub asset hashes.

Every construct test stack goes through `synth_nag_clean`, which applies the AwsSolutions, Serverless, HIPAA Security
and NIST 800-53 R5 packs (cdk-nag v3, through `Validations`) and fails on any unacknowledged finding, then IAM-lints
every policy document against AWS's IAM data (tests/iam_lint.py). `lint` runs cfn-lint against AWS's
resource schemas; rules are only ignored through `.cfnlintrc.yaml`, each with a written reason.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "18,20")

import aws_cdk as cdk  # noqa: E402
import cdk_nag  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# Packs that must come out clean (zero unacknowledged findings).
GATING_PACKS: tuple[Callable[..., Any], ...] = (
    cdk_nag.AwsSolutionsChecks,
    cdk_nag.ServerlessChecks,
    cdk_nag.HIPAASecurityChecks,
    cdk_nag.NIST80053R5Checks,
)
# The compliance packs, for `nag_report` (they gate too, through GATING_PACKS).
REPORTED_PACKS: tuple[Callable[..., Any], ...] = (cdk_nag.HIPAASecurityChecks, cdk_nag.NIST80053R5Checks)


class NagFindings(AssertionError):
    """Raised when a gating cdk-nag pack reports unacknowledged findings."""


class IamFindings(AssertionError):
    """Raised when a policy document fails the IAM lint (tests/iam_lint.py: parliament and the project rules)."""


def new_app(*, validation: bool = False, flags: bool = True, **context: Any) -> cdk.App:
    """An App writing to a throwaway outdir, with the project's feature flags from cdk.json.

    aws-cdk-lib's built-in CloudFormation validation (a cfn-guard engine in WebAssembly) costs about 6 CPU-seconds
    per synth (bench/synth_bench.py); construct tests switch it off and rely on cfn-lint, while the reference app's
    session fixture keeps it on, as `cdk synth` does.

    flags=False gives a bare `cdk.App()` as a user's app without cdk.json context has: no feature flags at all.
    """
    defaults = json.loads((ROOT / "cdk.json").read_text())["context"] if flags else {}
    return cdk.App(
        outdir=tempfile.mkdtemp(prefix="cdkout-"),
        context={**defaults, **context},
        builtin_cloud_formation_validation=validation,
    )


def synth_nag_clean(app: cdk.App, packs: tuple[Callable[..., Any], ...] = GATING_PACKS) -> cdk.cx_api.CloudAssembly:
    """Synthesize `app` with the gating packs; raise NagFindings listing every unacknowledged finding."""
    cdk.Validations.of(app).add_plugins(*(pack(app) for pack in packs))
    try:
        assembly = app.synth()
    except RuntimeError as err:  # jsii surfaces the validation report as a RuntimeError
        if "Validation failed" in str(err) or "ValidationFailed" in str(err):
            raise NagFindings(str(err)) from None
        raise
    iam_lint_clean(assembly)
    return assembly


def iam_lint_clean(assembly: cdk.cx_api.CloudAssembly) -> None:
    """Raise IamFindings listing every gating IAM-lint finding in the assembly's stacks (see tests/iam_lint.py).

    Every stack that goes through `synth_nag_clean` (the reference app and each construct's test stack) is checked.
    """
    import iam_lint

    problems = iam_lint.check_templates({stack.stack_name: stack.template for stack in assembly.stacks})
    if problems:
        raise IamFindings("IAM lint (parliament " + iam_lint.PARLIAMENT_VERSION + "):\n" + "\n".join(problems))


def nag_report(app: cdk.App, packs: tuple[Callable[..., Any], ...] = REPORTED_PACKS) -> list[dict[str, Any]]:
    """Synthesize `app` with report-only packs and return the unacknowledged findings (never raises on them)."""
    cdk.Validations.of(app).add_plugins(*(pack(app) for pack in packs))
    try:
        app.synth()
    except RuntimeError as err:
        match = re.search(r"can be found in: (\S+validation-report\.json)", str(err))
        if not match:
            raise
        report = json.loads(Path(match.group(1)).read_text())
        return _violations(report)
    return []


def _violations(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []) or [{}]:
                found.append(
                    {
                        "pack": plugin.get("pluginName"),
                        "rule": violation.get("ruleName"),
                        "resource": construct.get("constructPath"),
                        "description": violation.get("description"),
                    }
                )
    return found


def lint(template: dict[str, Any], name: str = "template") -> list[str]:
    """cfn-lint a synthesized template; return the messages of every error, warning and informational match."""
    from cfnlint.api import ManualArgs, lint as cfn_lint

    config_file = ROOT / ".cfnlintrc.yaml"
    ignore: list[str] = []
    if config_file.exists():
        ignore = re.findall(r"^\s*-\s*([EWI]\d{4})\b", config_file.read_text(), flags=re.M)
    matches = cfn_lint(
        json.dumps(template),
        config=ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=ignore),
    )
    return [f"{name}: {m.rule.id} {m.message} ({'/'.join(str(p) for p in m.path)})" for m in matches]


def template_of(assembly: cdk.cx_api.CloudAssembly, stack_name: str) -> dict[str, Any]:
    return assembly.get_stack_by_name(stack_name).template


_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def scrub(template: Any) -> Any:
    """Replace asset hashes (64 hex chars, in keys and values) so snapshots survive unrelated asset changes."""
    text = json.dumps(template, sort_keys=True)
    return json.loads(_HASH.sub("<asset-hash>", text))


MODEL_ARTIFACT = ROOT / "models" / "xgboost" / "model.tar.gz"


def xgboost_model(scope: Any, id: str = "Model", **kwargs: Any) -> Any:
    """A Model serving the committed sample artifact with the built-in XGBoost 1.7-1 image."""
    from sagemaker_cdk import ContainerImage, Model, ModelData

    return Model(
        scope,
        id,
        image=ContainerImage.built_in("xgboost", "1.7-1"),
        model_data=ModelData.from_asset(MODEL_ARTIFACT),
        **kwargs,
    )
