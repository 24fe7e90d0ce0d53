"""pyright (pinned in package.json, basic mode, settings in pyproject.toml) is clean on the library, and a user's
`from sagemaker_cdk import X` resolves every public name statically.

One class of diagnostics is not ours and is set aside, by rule rather than by line: aws-cdk-lib's generated Python
bindings declare classes against their own jsii interfaces with renamed parameters (e.g.
`ServicePrincipal.add_to_principal_policy(_statement)` against `IPrincipal.add_to_principal_policy(statement)`), so
pyright finds `iam.ServicePrincipal` "incompatible with protocol IPrincipal" although jsii declares that it implements
it (`@jsii.implements`). Every other diagnostic, including any about None, fails this test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

import sagemaker_cdk

ROOT = Path(__file__).resolve().parents[2]
PYRIGHT = ROOT / "node_modules" / ".bin" / "pyright"
PINNED = json.loads((ROOT / "package.json").read_text())["devDependencies"]["pyright"]

# '"ServicePrincipal" is incompatible with protocol "IPrincipal"'
_PROTOCOL_MISMATCH = re.compile(r'"(\w+)" is incompatible with protocol "(\w+)"')


def jsii_binding_defect(message: str) -> bool:
    """True when pyright's only complaint is a jsii class against one of aws-cdk-lib's own interfaces."""
    pairs = _PROTOCOL_MISMATCH.findall(message)
    if not pairs or '"None"' in message:
        return False
    return all(cls != "None" and re.fullmatch(r"I[A-Z]\w*", protocol) for cls, protocol in pairs)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not PYRIGHT.exists():
        pytest.fail(f"{PYRIGHT} is missing: run `make setup` (npm ci installs the pinned pyright)")
    consumer = tmp_path_factory.mktemp("consumer") / "consumer_app.py"
    consumer.write_text(
        "from sagemaker_cdk import (\n" + "".join(f"    {name},\n" for name in sagemaker_cdk.__all__) + ")\n"
    )
    env = {**os.environ, "NODE_OPTIONS": "--max-old-space-size=2048"}
    result = subprocess.run(
        [str(PYRIGHT), "--outputjson", "constructs/sagemaker_cdk", str(consumer)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    return json.loads(result.stdout)


def test_pyright_is_the_pinned_version(report: dict[str, Any]) -> None:
    assert report["version"] == PINNED


def test_pyright_is_clean_on_the_library(report: dict[str, Any]) -> None:
    diagnostics = [d for d in report["generalDiagnostics"] if d["severity"] in ("error", "warning")]
    ours = [
        f"{Path(d['file']).relative_to(ROOT) if d['file'].startswith(str(ROOT)) else d['file']}:"
        f"{d['range']['start']['line'] + 1}: {d['message'].splitlines()[0]}"
        for d in diagnostics
        if not jsii_binding_defect(d["message"])
    ]
    assert ours == [], "\n".join(ours)


def test_every_public_name_is_visible_to_pyright(report: dict[str, Any]) -> None:
    consumer = [d for d in report["generalDiagnostics"] if d["file"].endswith("consumer_app.py")]
    assert consumer == []
    assert report["summary"]["filesAnalyzed"] >= 2


def test_the_rule_sets_aside_only_binding_defects() -> None:
    assert jsii_binding_defect(
        'Argument of type "ServicePrincipal" cannot be assigned to parameter "assumed_by" of type "IPrincipal"\n'
        '  "ServicePrincipal" is incompatible with protocol "IPrincipal"\n    Parameter name mismatch'
    )
    assert not jsii_binding_defect('"None" is incompatible with protocol "ITopic"')
    assert not jsii_binding_defect('Argument of type "str | None" cannot be assigned to parameter "image_uri"')
    assert not jsii_binding_defect('"role_arn" is not a known attribute of "None"')
