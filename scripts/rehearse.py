#!/usr/bin/env python3
"""Rehearse a CDK app against a local moto server: deploy every stack, smoke-test the deployed handlers, diff, destroy.

Nothing here talks to AWS. A private moto server is started on a free port, the real CDK CLI is pointed at it through
AWS_ENDPOINT_URL with fake credentials, and the server is stopped by its PID when the rehearsal ends, whatever happens.

    .venv/bin/python scripts/rehearse.py [--app-dir DIR] [--report FILE] [--keep-going] [--smoke-events FILE]

Steps: start moto -> cdk bootstrap -> cdk deploy --all -> report stacks and SageMaker endpoints -> smoke-test the
project's Lambda handlers from the code the emulator holds -> cdk diff (expects no difference) -> cdk destroy --all
-> stop moto. The exit code is non-zero when a stack is not in a successful *_COMPLETE state, when a handler package
fails to import (a missing dependency), when a smoke check fails (a 5xx status, an exception, a failed expectation),
or when a CLI step fails.

What moto cannot do is reported, not hidden: resource types its CloudFormation skips are listed per stack as
"not rehearsed", and so are custom resources (moto marks them complete but cannot run their Lambda without Docker).
Known moto 5.2.5 bugs are worked around by rewriting the synthesized templates (MOTO_WORKAROUNDS,
MOTO_SKIPPED_ARN_TYPES, and the order of Resources where moto's change sets would break a DependsOn or a custom resource
would create its handler's log group first, see _order_by_dependencies and _lambda_log_group_edges) and, for CDK's weak
cross-stack references (Fn::GetStackOutput, which moto does not implement), by deploying in waves with the producers'
Output values written into the consumers' templates (see deployment_waves); every rewrite is printed and reported,
--no-workarounds disables them. An internal error of the emulator while deploying fails the rehearsal, because moto
then still reports the stack CREATE_COMPLETE.
Lambda functions are smoke-tested from the code package the emulator holds, imported in a clean interpreter that
sees only the standard library, the package and boto3 (what the Lambda Python runtime provides).
"""
from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any, Callable

import boto3
from botocore.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
SUCCESS_STATUSES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
# Packages the AWS Lambda Python runtime provides on top of the standard library (boto3 and what it imports).
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
# aws:cdk:path fragments of functions that CDK itself adds (custom-resource providers, log retention, notifications).
CDK_INTERNAL_PATH_MARKERS = (
    "Custom::",
    "BucketNotificationsHandler",
    "LogRetention",
    "AWS679f53fac002430cb0da5b7982bd2287",  # AwsCustomResource singleton
    "/Provider/framework-",
    "CDKBucketDeployment",
    "AwsCdk",
)


# --------------------------------------------------------------------------------------------------------- output


def say(msg: str = "") -> None:
    print(msg, flush=True)


def loud(title: str, lines: list[str]) -> None:
    bar = "!" * 78
    say(bar)
    say(f"!!! {title}")
    for line in lines:
        for part in str(line).splitlines() or [""]:
            say(f"!!!   {part}")
    say(bar)


class StepFailed(Exception):
    pass


class _Quiet(StepFailed):
    """A step failure whose details were already recorded in the report and printed."""


@dataclasses.dataclass
class Report:
    app_dir: str
    ok: bool = True
    failures: list[str] = dataclasses.field(default_factory=list)
    steps: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    stacks: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    endpoints: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    smoke: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    diff: dict[str, Any] = dataclasses.field(default_factory=dict)
    destroy: dict[str, Any] = dataclasses.field(default_factory=dict)
    emulator: dict[str, Any] = dataclasses.field(default_factory=dict)
    moto_warnings: list[str] = dataclasses.field(default_factory=list)
    emulator_errors: list[str] = dataclasses.field(default_factory=list)
    adapted_for_moto: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    wall_seconds: float = 0.0

    def fail(self, message: str) -> None:
        self.ok = False
        self.failures.append(message)


# ------------------------------------------------------------------------------------------------------ emulator


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_moto_server() -> str:
    candidates = [Path(sys.executable).parent / "moto_server", REPO_ROOT / ".venv" / "bin" / "moto_server"]
    for c in candidates:
        if c.exists() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which("moto_server")
    if found:
        return found
    raise StepFailed("moto_server not found (install moto[server] in the venv: `make setup`)")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM the process (its own session/process group), then SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = 0 if pid_alive(pid) else pid
            if done == pid or not pid_alive(pid):
                return
            time.sleep(0.1)


class MotoServer:
    def __init__(self, state_dir: Path):
        self.state_dir = state_dir
        self.pid_file = state_dir / "moto.pid"
        self.log_file = state_dir / "moto.log"
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        # `localhost`, not 127.0.0.1: moto reads the host of a change set's TemplateURL as a bucket name otherwise.
        return f"http://localhost:{self.port}"

    def reap_stale(self) -> None:
        """A previous rehearsal killed with SIGKILL can leave its server behind: stop it if it is still moto."""
        if not self.pid_file.exists():
            return
        try:
            pid = int(self.pid_file.read_text().strip())
        except ValueError:
            pid = 0
        if pid and pid_alive(pid) and "moto_server" in process_cmdline(pid):
            say(f"  stopping a moto_server left by an earlier rehearsal (pid {pid})")
            stop_pid(pid)
        self.pid_file.unlink(missing_ok=True)

    def start(self, timeout: float = 60.0) -> None:
        self.reap_stale()
        exe = find_moto_server()
        self.port = free_port()
        log = open(self.log_file, "w")
        env = dict(os.environ)
        env.update(FAKE_CREDENTIALS)
        env.pop("AWS_ENDPOINT_URL", None)
        self.proc = subprocess.Popen(
            [exe, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,  # own process group: a Ctrl-C on the terminal reaches us, we stop it by PID
        )
        log.close()
        self.pid_file.write_text(f"{self.proc.pid}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StepFailed(f"moto_server exited with {self.proc.returncode}; see {self.log_file}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/moto-api/data.json", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise StepFailed(f"moto_server did not answer on port {self.port} within {timeout:.0f}s")

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                stop_pid(self.proc.pid)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.pid_file.unlink(missing_ok=True)

    def post_json(self, path: str, body: dict[str, Any]) -> int:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status

    def log_offset(self) -> int:
        try:
            return self.log_file.stat().st_size
        except OSError:
            return 0

    def errors_since(self, offset: int) -> list[str]:
        """Internal errors (HTTP 500 tracebacks) the emulator logged after `offset`: exception and deepest moto frame."""
        try:
            with open(self.log_file, errors="replace") as f:
                f.seek(offset)
                lines = f.read().splitlines()
        except OSError:
            return []
        errors, frame, in_tb = [], "", False
        for line in lines:
            if line.startswith("Traceback (most recent call last)"):
                in_tb, frame = True, ""
            elif in_tb and line.startswith("  File ") and "/moto/" in line:
                m = re.search(r'/(moto/[^"]+)", line (\d+), in (\S+)', line)
                frame = f"{m.group(1)}:{m.group(2)} in {m.group(3)}" if m else line.strip()
            elif in_tb and line and not line.startswith(" "):
                errors.append(f"{line.strip()} (at {frame})" if frame else line.strip())
                in_tb = False
        return errors

    def unsupported_types(self) -> list[str]:
        """The emulator's own word: resource types its CloudFormation logged as unsupported."""
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return []
        return sorted(set(re.findall(r"No Moto CloudFormation support for (\S+)", text)))


# ---------------------------------------------------------------------------------------------------------- CLI


class Runner:
    """Runs CLI steps with the emulator environment, logging each to state_dir/logs/<step>.log."""

    def __init__(self, args: argparse.Namespace, state_dir: Path, env: dict[str, str]):
        self.args = args
        self.log_dir = state_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.current: subprocess.Popen | None = None

    def run(self, name: str, cmd: list[str], cwd: Path, timeout: float) -> tuple[int, str]:
        log_path = self.log_dir / f"{name}.log"
        say(f"  $ {' '.join(cmd)}   (cwd {cwd}, log {log_path})")
        with open(log_path, "w") as log:
            self.current = subprocess.Popen(
                cmd, cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, text=True, errors="replace", start_new_session=True,
            )
            out: list[str] = []
            deadline = time.monotonic() + timeout
            assert self.current.stdout is not None
            for line in self.current.stdout:
                log.write(line)
                out.append(line)
                if self.args.verbose:
                    sys.stdout.write("    | " + line)
                if time.monotonic() > deadline:
                    self.kill_current()
                    raise StepFailed(f"{name}: timed out after {timeout:.0f}s (log {log_path})")
            rc = self.current.wait()
            self.current = None
        return rc, "".join(out)

    def kill_current(self) -> None:
        if self.current is not None and self.current.poll() is None:
            stop_pid(self.current.pid, timeout=5)
        self.current = None


def cdk_command(args: argparse.Namespace) -> list[str]:
    if args.cdk:
        return args.cdk.split()
    local = REPO_ROOT / "node_modules" / ".bin" / "cdk"
    if local.exists():
        return [str(local)]
    return ["npx", "--no-install", "cdk"]


# Node's AWS SDK end-of-support banner: noise in every CLI output under Node 20.
NOISE = ("NodeVersionSupportWarning", "versions published after", "will require node", "To continue receiving updates",
         "and security updates please upgrade", "More information can be found at: https://a.co",
         "node --trace-warnings")


def tail(text: str, n: int = 25) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and not any(x in ln for x in NOISE)]
    return "\n".join(lines[-n:])


def cli_error(text: str) -> str:
    """The CLI's own error lines (❌ / ‣ / Error), for a one-line failure summary."""
    hits = [ln.strip() for ln in text.splitlines()
            if ln.strip().startswith(("❌", "‣")) or re.match(r"\s*(\w+)?Error\b", ln)]
    return " | ".join(hits[:4])


def emulator_env(moto: MotoServer, state_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("AWS_") or key.startswith("CDK_"):
            del env[key]
    # No real profile can leak in: empty config and credentials files.
    empty = state_dir / "aws-empty-config"
    empty.write_text("")
    env.update(FAKE_CREDENTIALS)
    env.update({
        "AWS_ENDPOINT_URL": moto.url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
        "CDK_DEFAULT_ACCOUNT": ACCOUNT,
        "CDK_DEFAULT_REGION": REGION,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "18,20",
        "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1",
    })
    # The app runs `python3 app.py`: the venv must come first so that it finds aws-cdk-lib.
    path = [str(Path(sys.executable).parent), str(REPO_ROOT / ".venv" / "bin"), str(REPO_ROOT / "node_modules" / ".bin")]
    env["PATH"] = os.pathsep.join(path + [env.get("PATH", "/usr/bin:/bin")])
    venv = Path(sys.executable).parent.parent
    if (venv / "pyvenv.cfg").exists():
        env["VIRTUAL_ENV"] = str(venv)
    return env


def clients(moto: MotoServer):
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", aws_session_token="testing", region_name=REGION,
    )
    cfg = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=60)

    def client(service: str):
        return session.client(service, endpoint_url=moto.url, config=cfg)

    return client


# ----------------------------------------------------------------------------------------------- cloud assembly


def read_assembly(out_dir: Path) -> list[dict[str, Any]]:
    """Stacks of a cloud assembly (nested assemblies of Stages included): name, stack name, template."""
    stacks: list[dict[str, Any]] = []

    def walk(d: Path) -> None:
        manifest = json.loads((d / "manifest.json").read_text())
        for art_id, art in manifest.get("artifacts", {}).items():
            if art.get("type") == "aws:cloudformation:stack":
                props = art.get("properties", {})
                template = json.loads((d / props["templateFile"]).read_text())
                stacks.append({
                    "artifact": art_id,
                    "stack_name": props.get("stackName", art_id),
                    "display": art.get("displayName", art_id),
                    "template": template,
                    "template_file": str((d / props["templateFile"]).relative_to(out_dir)),
                })
            elif art.get("type") == "cdk:cloud-assembly":
                walk(d / art["properties"]["directoryName"])

    walk(out_dir)
    return stacks


def _kms_key_tags(props: dict[str, Any]) -> str | None:
    tags = props.get("Tags")
    if not tags or not all(isinstance(t, dict) and "Key" in t for t in tags):
        return None
    props["Tags"] = [{"TagKey": t["Key"], "TagValue": t.get("Value", "")} for t in tags]
    return "Tags rewritten from {Key, Value} to {TagKey, TagValue}"


# Known moto bugs worked around by rewriting the synthesized templates before deploying, each reported per resource.
# (resource type, fix(properties) -> description or None when not needed, why)
MOTO_WORKAROUNDS: list[tuple[str, Callable[[dict[str, Any]], str | None], str]] = [
    ("AWS::KMS::Key", _kms_key_tags,
     "moto 5.2.5 passes CloudFormation tags to its KMS tagging service unchanged and fails with KeyError 'TagKey' "
     "(HTTP 500), after which the stack is reported CREATE_COMPLETE with most resources missing"),
]


def _managed_policy_as_inline(template: dict[str, Any]) -> list[str]:
    """Rewrite each unreferenced AWS::IAM::ManagedPolicy attached through `Roles` as the AWS::IAM::Policy it equals.

    moto 5.2.5's CloudFormation has no delete hook for AWS::IAM::ManagedPolicy: deleting the stack leaves the policy
    attached, and then DeleteRole fails ("Cannot delete entity, must detach all policies first"). CloudFormation
    deletes the policy (it references the role) before the role. The grants are the same document either way.
    """
    resources = template.get("Resources", {})
    rewritten = []
    for logical_id, res in resources.items():
        props = res.get("Properties")
        if res.get("Type") != "AWS::IAM::ManagedPolicy" or not isinstance(props, dict) or not props.get("Roles"):
            continue
        readers = {k: v for k, v in resources.items() if k != logical_id}
        if res.get("DeletionPolicy") == "Retain" or _references([readers, template.get("Outputs", {})], {logical_id}):
            continue
        res["Type"] = "AWS::IAM::Policy"
        res["Properties"] = {"PolicyName": logical_id[:128], "PolicyDocument": props["PolicyDocument"],
                             **{k: props[k] for k in ("Roles", "Users", "Groups") if k in props}}
        rewritten.append(logical_id)
    return rewritten


# Types moto's CloudFormation skips although other resources read their Arn with Fn::GetAtt, which moto then rejects
# ("Fn::GetAtt references undefined resource"): the reference is replaced by the ARN the resource would have. A Ref to
# one (its name) resolves to nothing in moto (an Output holding it is dropped, so another stack cannot read it): it is
# replaced by the name the ARN uses.
# type -> (service, resource prefix, name property)
MOTO_SKIPPED_ARN_TYPES = {
    "AWS::CloudWatch::Alarm": ("cloudwatch", "alarm:", "AlarmName"),
}


# moto names a resource without an explicit name "<stack>-<logical id>-<suffix>" without truncating it (real
# CloudFormation truncates). Step Functions rejects a state machine name over 80 characters, with a JSON error body
# that the CDK CLI cannot parse ("XML parse error"), so such resources get an explicit name of the same shape,
# truncated. type -> (name property, maximum length)
MOTO_NAME_LIMITS = {
    "AWS::StepFunctions::StateMachine": ("StateMachineName", 80),
}


def _shorten_generated_names(template: dict[str, Any], stack: str) -> list[tuple[str, str]]:
    renamed = []
    for logical_id, res in template.get("Resources", {}).items():
        limit = MOTO_NAME_LIMITS.get(res.get("Type", ""))
        props = res.get("Properties")
        if limit is None or not isinstance(props, dict) or limit[0] in props:
            continue
        name_prop, max_len = limit
        if len(stack) + len(logical_id) + 2 + 12 <= max_len:  # moto's random suffix is 12 characters
            continue
        digest = hashlib.sha256(f"{stack}/{logical_id}".encode()).hexdigest()[:8]
        props[name_prop] = f"{stack}-{logical_id}"[: max_len - 9] + "-" + digest
        renamed.append((logical_id, res["Type"]))
    return renamed


def _sagemaker_arn(resource: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, f":{resource}"]]}


def _rehearsal_domain_id(logical_id: str) -> str:
    return "d-" + re.sub(r"[^a-z0-9]", "", logical_id.lower())[:20]


# SageMaker workspace types moto's CloudFormation does not create (Studio domains, profiles, spaces, code repositories,
# Studio lifecycle configurations): every attribute another resource reads is replaced by a value of the shape the
# real one has. type -> {attribute: value(logical id, properties)}
MOTO_SKIPPED_ATTRIBUTES: dict[str, dict[str, Callable[[str, dict[str, Any]], Any]]] = {
    "AWS::SageMaker::Domain": {
        "DomainId": lambda lid, p: _rehearsal_domain_id(lid),
        "DomainArn": lambda lid, p: _sagemaker_arn(f"domain/{_rehearsal_domain_id(lid)}"),
        "Url": lambda lid, p: f"https://{_rehearsal_domain_id(lid)}.studio.{REGION}.sagemaker.aws",
        "HomeEfsFileSystemId": lambda lid, p: "fs-0123456789abcdef0",
        "SecurityGroupIdForDomainBoundary": lambda lid, p: "sg-0123456789abcdef0",
    },
    "AWS::SageMaker::UserProfile": {
        "UserProfileArn": lambda lid, p: _sagemaker_arn(f"user-profile/rehearsal/{p.get('UserProfileName', lid)}"),
    },
    "AWS::SageMaker::Space": {
        "SpaceArn": lambda lid, p: _sagemaker_arn(f"space/rehearsal/{p.get('SpaceName', lid)}"),
        "Url": lambda lid, p: f"https://rehearsal.studio.{REGION}.sagemaker.aws/spaces/{p.get('SpaceName', lid)}",
    },
    "AWS::SageMaker::CodeRepository": {
        "CodeRepositoryName": lambda lid, p: p.get("CodeRepositoryName", lid.lower()),
        "CodeRepositoryArn": lambda lid, p: _sagemaker_arn(f"code-repository/{p.get('CodeRepositoryName', lid)}"),
    },
    "AWS::SageMaker::StudioLifecycleConfig": {
        "StudioLifecycleConfigArn": lambda lid, p: _sagemaker_arn(
            f"studio-lifecycle-config/{p.get('StudioLifecycleConfigName', lid)}"),
    },
}


def _arn(service: str, resource: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":{service}:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, f":{resource}"]]}


# Types moto's CloudFormation does not create, with the value a Ref (attr None) or Fn::GetAtt would have had: the
# Ground Truth work team (AWS::SageMaker::Workteam) and its Cognito user pool, and the data attributes of
# aws-cdk-lib's AwsCustomResource (Custom::AWS), whose Lambda moto cannot run.
MOTO_PLACEHOLDERS: dict[str, Callable[[str, dict[str, Any], str | None], Any]] = {
    "AWS::Cognito::UserPool": lambda lid, res, attr: (
        _arn("cognito-idp", "userpool/us-east-1_rehearsal") if attr == "Arn" else "us-east-1_rehearsal"),
    "AWS::Cognito::UserPoolClient": lambda lid, res, attr: "rehearsalclient",
    "AWS::Cognito::UserPoolDomain": lambda lid, res, attr: (res.get("Properties") or {}).get("Domain", lid),
    "AWS::Cognito::UserPoolGroup": lambda lid, res, attr: (res.get("Properties") or {}).get("GroupName", lid),
    "AWS::SageMaker::Workteam": lambda lid, res, attr: _arn(
        "sagemaker", f"workteam/private-crowd/{(res.get('Properties') or {}).get('WorkteamName', lid)}")
        if attr == "WorkteamArn" else (res.get("Properties") or {}).get("WorkteamName", lid),
    "Custom::AWS": lambda lid, res, attr: f"rehearsal-{(attr or lid).replace('.', '-').lower()}",
}


def _skipped_name(logical_id: str, res: dict[str, Any]) -> Any:
    _service, _prefix, name_prop = MOTO_SKIPPED_ARN_TYPES[res["Type"]]
    return (res.get("Properties") or {}).get(name_prop, logical_id)


def _constructed_arn(logical_id: str, res: dict[str, Any]) -> dict[str, Any]:
    service, prefix, _name_prop = MOTO_SKIPPED_ARN_TYPES[res["Type"]]
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":{service}:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, f":{prefix}", _skipped_name(logical_id, res)]]}


def _replace_skipped_arns(template: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Returns {logical id: {"Arn": Fn::GetAtt reads replaced, "Ref": Ref reads replaced}}."""
    resources = template.get("Resources", {})
    counts: dict[str, dict[str, int]] = {}

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1 and "Fn::GetAtt" in node:
                ref = node["Fn::GetAtt"]
                target, attr = (ref.split(".", 1) if isinstance(ref, str) else (ref + ["", ""])[:2])
                res = resources.get(target)
                if res and res.get("Type") in MOTO_SKIPPED_ARN_TYPES and attr == "Arn":
                    c = counts.setdefault(target, {"Arn": 0, "Ref": 0})
                    c["Arn"] += 1
                    return _constructed_arn(target, res)
                if res and attr in MOTO_SKIPPED_ATTRIBUTES.get(res.get("Type", ""), {}):
                    c = counts.setdefault(target, {"Arn": 0, "Ref": 0})
                    c.setdefault("attributes", []).append(attr)
                    return MOTO_SKIPPED_ATTRIBUTES[res["Type"]][attr](target, res.get("Properties") or {})
                if res and res.get("Type") in MOTO_PLACEHOLDERS:
                    c = counts.setdefault(target, {"Arn": 0, "Ref": 0})
                    c["Arn"] += 1
                    return MOTO_PLACEHOLDERS[res["Type"]](target, res, attr)
            if len(node) == 1 and isinstance(node.get("Ref"), str):
                res = resources.get(node["Ref"])
                if res and res.get("Type") in MOTO_SKIPPED_ARN_TYPES:
                    c = counts.setdefault(node["Ref"], {"Arn": 0, "Ref": 0})
                    c["Ref"] += 1
                    return _skipped_name(node["Ref"], res)
                if res and res.get("Type") in MOTO_PLACEHOLDERS and not res["Type"].startswith("Custom::"):
                    c = counts.setdefault(node["Ref"], {"Arn": 0, "Ref": 0})
                    c["Ref"] += 1
                    return MOTO_PLACEHOLDERS[res["Type"]](node["Ref"], res, None)
            return {k: visit(v) for k, v in node.items()}
        if isinstance(node, list):
            return [visit(v) for v in node]
        return node

    for key in ("Resources", "Outputs"):
        if key in template:
            template[key] = visit(template[key])
    return counts


def _resolve_registry_model_data(template: dict[str, Any]) -> dict[str, int]:
    """ModelData.from_registry: GetAtt <resolver>.ModelDataUrl -> the resolver's FallbackModelDataUrl property."""
    resources = template.get("Resources", {})
    counts: dict[str, int] = {}

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("Fn::GetAtt") if len(node) == 1 else None
            if isinstance(ref, list) and len(ref) == 2 and ref[1] == "ModelDataUrl":
                res = resources.get(ref[0], {})
                if res.get("Type") == "Custom::RegistryModelData":
                    counts[ref[0]] = counts.get(ref[0], 0) + 1
                    return res["Properties"]["FallbackModelDataUrl"]
            return {k: visit(v) for k, v in node.items()}
        if isinstance(node, list):
            return [visit(v) for v in node]
        return node

    for key in ("Resources", "Outputs"):
        if key in template:
            template[key] = visit(template[key])
    return counts


def _references(node: Any, names: set[str]) -> set[str]:
    """Logical ids of `names` that `node` reads through Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()

    def visit(n: Any) -> None:
        if isinstance(n, dict):
            for k, v in n.items():
                if k == "Ref" and isinstance(v, str) and v in names:
                    found.add(v)
                elif k == "Fn::GetAtt":
                    target = v.split(".", 1)[0] if isinstance(v, str) else (v[0] if v else None)
                    if isinstance(target, str) and target in names:
                        found.add(target)
                elif k == "Fn::Sub":
                    text = v if isinstance(v, str) else (v[0] if v and isinstance(v[0], str) else "")
                    found.update(m for m in re.findall(r"\$\{([^}!.]+)(?:\.[^}]*)?\}", text) if m in names)
                visit(v)
        elif isinstance(n, list):
            for v in n:
                visit(v)

    visit(node)
    return found


def _depends_on(res: dict[str, Any]) -> list[str]:
    deps = res.get("DependsOn") or []
    return [deps] if isinstance(deps, str) else list(deps)


def _order_by_dependencies(template: dict[str, Any],
                           extra: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """moto 5.2.5 ignores DependsOn when it executes a change set; reorder Resources so that template order is safe.

    moto's ExecuteChangeSet (cloudformation/models.py execute_change_set -> ChangeSet.apply -> ResourceMap.update,
    parsing.py:871) creates the added resources in template order, each one after what it reads through Ref/GetAtt
    (resolved lazily), but never waits for its DependsOn targets (only CreateStack's ResourceMap.create does). So an
    AWS::ApiGateway::Deployment placed before the AWS::ApiGateway::Method it DependsOn fails with "The REST API doesn't
    contain any methods" (BadRequestException), which moto returns as JSON to the XML ExecuteChangeSet call: the CLI
    prints "XML parse error" and the stack stays REVIEW_IN_PROGRESS. CloudFormation itself ignores the order of the
    Resources object, so a dependency-ordered copy deploys the same stack.

    Returns {dependent: [DependsOn targets moto would have created after it]}; rewrites only when that is not empty.
    `extra` adds ordering edges of the same kind ({dependent: [what must be created before it]}).
    """
    resources = template.get("Resources") or {}
    names = set(resources)
    refs = {k: _references({a: b for a, b in v.items() if a not in ("DependsOn", "Metadata")}, names) - {k}
            for k, v in resources.items()}
    deps = {k: [d for d in _depends_on(v) + list((extra or {}).get(k, ())) if d in names and d != k]
            for k, v in resources.items()}

    # The order moto would create them in: template order, each resource's Ref/GetAtt targets first (lazily).
    moto_order: dict[str, int] = {}

    def lazily(k: str, path: frozenset = frozenset()) -> None:
        if k in moto_order or k in path:
            return
        for r in sorted(refs[k], key=list(resources).index):
            lazily(r, path | {k})
        moto_order[k] = len(moto_order)

    for k in resources:
        lazily(k)
    violations = {k: [d for d in deps[k] if moto_order[d] > moto_order[k]] for k in resources}
    violations = {k: v for k, v in violations.items() if v}
    if not violations:
        return {}

    # Stable topological order over DependsOn and Ref/GetAtt/Sub edges (cycles, which CloudFormation rejects anyway,
    # are broken where they are found).
    ordered: dict[str, Any] = {}

    def place(k: str, path: frozenset = frozenset()) -> None:
        if k in ordered or k in path:
            return
        for d in deps[k] + sorted(refs[k], key=list(resources).index):
            place(d, path | {k})
        ordered[k] = resources[k]

    for k in resources:
        place(k)
    template["Resources"] = ordered
    return violations


def _lambda_log_group_edges(template: dict[str, Any]) -> dict[str, list[str]]:
    """{custom resource: [AWS::Logs::LogGroup named /aws/lambda/<its ServiceToken function>]}.

    Creating a custom resource makes moto invoke its ServiceToken function in a thread (cloudformation/custom_model.py)
    while the change set goes on; the invoke first creates the function's log group /aws/lambda/<name>
    (awslambda/models.py _invoke_lambda -> ensure_log_group), then fails without Docker. A LogGroup resource for that
    name after the custom resource in the template (CDK's @aws-cdk/aws-lambda:useCdkManagedLogGroup puts the
    BucketDeployment handler's there) then fails with ResourceAlreadyExistsException whenever the thread gets there
    first (always, for the training stack), which moto returns as JSON to the XML ExecuteChangeSet call (the CLI's "XML
    parse error"; the stack stays REVIEW_IN_PROGRESS). Created first, the log group is simply reused by the invoke.
    CloudFormation creates the two in parallel once the function exists (the same race, rarely lost: aws-cdk#34612).
    """
    resources = template.get("Resources") or {}
    functions = {k for k, v in resources.items() if v.get("Type") == "AWS::Lambda::Function"}
    log_groups: dict[str, list[str]] = {}
    for k, v in resources.items():
        if v.get("Type") != "AWS::Logs::LogGroup":
            continue
        name = (v.get("Properties") or {}).get("LogGroupName")
        fn = None
        if isinstance(name, dict) and "Fn::Join" in name:
            sep, parts = (name["Fn::Join"] + [None, None])[:2]
            if sep == "" and isinstance(parts, list) and len(parts) == 2 and parts[0] == "/aws/lambda/" \
                    and isinstance(parts[1], dict) and set(parts[1]) == {"Ref"}:
                fn = parts[1]["Ref"]
        elif isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str):
            m = re.fullmatch(r"/aws/lambda/\$\{([^}!.]+)\}", name["Fn::Sub"])
            fn = m.group(1) if m else None
        if fn in functions:
            log_groups.setdefault(fn, []).append(k)
    edges: dict[str, list[str]] = {}
    for k, v in resources.items():
        rtype = str(v.get("Type", ""))
        if not (rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource"):
            continue
        token = (v.get("Properties") or {}).get("ServiceToken")
        for fn in sorted(_references(token, functions)):
            edges.setdefault(k, []).extend(log_groups.get(fn, []))
    return {k: v for k, v in edges.items() if v}


def _order_lambda_log_groups(template: dict[str, Any]) -> dict[str, list[str]]:
    """Moves each function's log group ahead of the custom resources that invoke the function (see
    _lambda_log_group_edges); template order only. Returns {custom resource: [log groups moved ahead of it]}."""
    edges = _lambda_log_group_edges(template)
    if not edges:
        return {}
    moved = _order_by_dependencies(template, extra=edges)
    return {k: [d for d in v if d in edges.get(k, ())] for k, v in moved.items() if set(v) & set(edges.get(k, ()))}


# Fn::GetStackOutput, CDK's "weak" cross-stack reference (@aws-cdk/core:defaultCrossStackReferences = weak), reads an
# Output of another stack at deploy time. moto 5.2.5 does not implement it: clean_json passes the intrinsic through, so
# the consumer is deployed with {"Fn::GetStackOutput": ...} objects as values (an IAM policy holding one fails with
# MalformedPolicyDocument; elsewhere they are stored silently). Nor is Fn::ImportValue an alternative: ExecuteChangeSet
# never evaluates a stack's Outputs, so a stack created from a change set has no Outputs and no Exports. The rehearsal
# therefore deploys consumers after their producers (waves), has moto evaluate the producers' Outputs (UpdateStack with
# UsePreviousTemplate: same template, no resource changes), and writes the values into the consumers' templates.


def _stack_output_reads(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def visit(n: Any) -> None:
        if isinstance(n, dict):
            if len(n) == 1 and isinstance(n.get("Fn::GetStackOutput"), dict):
                found.append(n["Fn::GetStackOutput"])
                return
            for v in n.values():
                visit(v)
        elif isinstance(n, list):
            for v in n:
                visit(v)

    visit(node)
    return found


def _same_environment(read: dict[str, Any]) -> bool:
    region = read.get("Region", {"Ref": "AWS::Region"})
    return "RoleArn" not in read and region in ({"Ref": "AWS::Region"}, REGION) and isinstance(read.get("StackName"),
                                                                                               str)


def stack_output_producers(template: dict[str, Any], stack_names: set[str]) -> set[str]:
    """Stacks of the assembly whose Outputs `template` reads with Fn::GetStackOutput (same account and region)."""
    reads = _stack_output_reads({k: template.get(k) for k in ("Resources", "Outputs", "Conditions")})
    return {r["StackName"] for r in reads if _same_environment(r) and r["StackName"] in stack_names}


def resolve_stack_outputs(template: dict[str, Any], values: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """Replaces each same-environment Fn::GetStackOutput of a stack in `values` ({stack: {output: value}}) by the
    value. Returns {logical id (resource, or Outputs.<key>): ["<stack>.<output>", ...]}; raises StepFailed for an output
    the producer does not have."""
    replaced: dict[str, list[str]] = {}
    missing: list[str] = []

    def visit(n: Any, owner: str) -> Any:
        if isinstance(n, dict):
            read = n.get("Fn::GetStackOutput") if len(n) == 1 else None
            if isinstance(read, dict) and _same_environment(read) and read["StackName"] in values:
                key = f"{read['StackName']}.{read.get('OutputName')}"
                if read.get("OutputName") not in values[read["StackName"]]:
                    missing.append(f"{owner} reads {key}")
                    return n
                replaced.setdefault(owner, []).append(key)
                return values[read["StackName"]][read["OutputName"]]
            return {k: visit(v, owner) for k, v in n.items()}
        if isinstance(n, list):
            return [visit(v, owner) for v in n]
        return n

    for section, prefix in (("Resources", ""), ("Outputs", "Outputs."), ("Conditions", "Conditions.")):
        if isinstance(template.get(section), dict):
            template[section] = {k: visit(v, prefix + k) for k, v in template[section].items()}
    if missing:
        raise StepFailed("Fn::GetStackOutput reads an output the emulator does not hold:\n  " + "\n  ".join(missing))
    return replaced


def deployment_waves(assembly: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Stacks grouped so that every stack comes after the stacks whose Outputs it reads with Fn::GetStackOutput."""
    names = {st["stack_name"] for st in assembly}
    producers = {st["stack_name"]: stack_output_producers(st["template"], names) - {st["stack_name"]}
                 for st in assembly}
    waves: list[list[dict[str, Any]]] = []
    done: set[str] = set()
    left = list(assembly)
    while left:
        wave = [st for st in left if producers[st["stack_name"]] <= done] or left  # a cycle: CloudFormation's problem
        waves.append(wave)
        done |= {st["stack_name"] for st in wave}
        left = [st for st in left if st not in wave]
    return waves


def adapt_templates_for_moto(out_dir: Path) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = []
    for st in read_assembly(out_dir):
        template, stack = st["template"], st["stack_name"]
        path = out_dir / st["template_file"]
        touched = False
        for logical_id, res in template.get("Resources", {}).items():
            for rtype, fix, why in MOTO_WORKAROUNDS:
                if res.get("Type") == rtype and isinstance(res.get("Properties"), dict):
                    change = fix(res["Properties"])
                    if change:
                        touched = True
                        changes.append({"stack": stack, "logical_id": logical_id,
                                        "type": rtype, "change": change, "why": why})
        for logical_id, rtype in _shorten_generated_names(template, stack):
            touched = True
            changes.append({"stack": stack, "logical_id": logical_id, "type": rtype,
                            "change": f"explicit {MOTO_NAME_LIMITS[rtype][0]} of at most "
                                      f"{MOTO_NAME_LIMITS[rtype][1]} characters",
                            "why": "moto does not truncate the names it generates, as CloudFormation does, and then "
                                   "rejects the name as too long"})
        for logical_id in _managed_policy_as_inline(template):
            touched = True
            changes.append({
                "stack": stack, "logical_id": logical_id, "type": "AWS::IAM::ManagedPolicy",
                "change": "deployed as the equal AWS::IAM::Policy (same document and roles)",
                "why": "moto 5.2.5's CloudFormation cannot delete an AWS::IAM::ManagedPolicy (no delete hook), so "
                       "the policy stays attached and deleting its role fails"})
        for target, n in _replace_skipped_arns(template).items():
            touched = True
            what = [f"{n['Arn']} Fn::GetAtt {target}"] if n["Arn"] else []
            what += [f"{n['Ref']} Ref"] if n["Ref"] else []
            what += [f"Fn::GetAtt {target}.{attr}" for attr in sorted(set(n.get("attributes", [])))]
            changes.append({
                "stack": stack, "logical_id": target,
                "type": template["Resources"][target]["Type"],
                "change": " and ".join(what) + " replaced by the ARN/name it would have",
                "why": "moto's CloudFormation does not create this type: it rejects GetAtt on it and resolves "
                       "a Ref to it to nothing"})
        for resolver, n in _resolve_registry_model_data(template).items():
            touched = True
            changes.append({
                "stack": stack, "logical_id": resolver, "type": "Custom::RegistryModelData",
                "change": f"{n} Fn::GetAtt {resolver}.ModelDataUrl replaced by its FallbackModelDataUrl",
                "why": "moto cannot run the resolver's Lambda handler (no Docker), so the attribute has no value; "
                       "with no approved version in a fresh emulator, the handler would answer the fallback"})
        for dependent, targets in _order_by_dependencies(template).items():
            touched = True
            changes.append({
                "stack": stack, "logical_id": dependent,
                "type": template["Resources"][dependent]["Type"],
                "change": f"{len(targets)} DependsOn target(s) moved ahead of it in Resources "
                          "(template order only)",
                "depends_on": targets,
                "why": "moto 5.2.5 ignores DependsOn when executing a change set and creates resources in "
                       "template order; CloudFormation ignores that order"})
        for invoker, groups in _order_lambda_log_groups(template).items():
            touched = True
            changes.append({
                "stack": stack, "logical_id": invoker,
                "type": template["Resources"][invoker]["Type"],
                "change": f"{len(groups)} log group(s) of its handler function moved ahead of it in Resources "
                          "(template order only)",
                "depends_on": groups,
                "why": "moto invokes a custom resource's function while executing the change set, and its "
                       "invoke creates the function's /aws/lambda/ log group, so the LogGroup resource for it, "
                       "created later in template order, fails with ResourceAlreadyExistsException"})
        if touched:
            path.write_text(json.dumps(template, indent=1))
    return changes


def cdk_path(resource: dict[str, Any]) -> str:
    return str((resource.get("Metadata") or {}).get("aws:cdk:path", ""))


# ---------------------------------------------------------------------------------------------- stacks, endpoints


def inspect_stacks(report: Report, assembly: list[dict[str, Any]], client, moto: MotoServer) -> None:
    cfn = client("cloudformation")
    unsupported = set(moto.unsupported_types())
    say("\n== Stacks")
    for st in assembly:
        name = st["stack_name"]
        entry: dict[str, Any] = {"stack": name, "status": "NOT_FOUND", "created": [], "not_rehearsed": []}
        report.stacks.append(entry)
        try:
            desc = cfn.describe_stacks(StackName=name)["Stacks"][0]
            entry["status"] = desc["StackStatus"]
            entry["status_reason"] = desc.get("StackStatusReason")
        except Exception as exc:  # noqa: BLE001 - the emulator's errors are reported, not raised
            entry["error"] = str(exc)
        ok = entry["status"] in SUCCESS_STATUSES
        if not ok:
            report.fail(f"stack {name}: status {entry['status']} (expected one of {sorted(SUCCESS_STATUSES)})")
        created: dict[str, dict[str, Any]] = {}
        try:
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=name):
                for r in page["StackResourceSummaries"]:
                    if r.get("LogicalResourceId"):
                        created[r["LogicalResourceId"]] = r
        except Exception as exc:  # noqa: BLE001
            entry["resources_error"] = str(exc)[:500]
            if ok:
                report.fail(f"stack {name}: reports {entry['status']} but the emulator cannot list its resources "
                            f"({str(exc)[:200]})")
                ok = False
        for logical_id, res in sorted(st["template"].get("Resources", {}).items()):
            rtype = res.get("Type", "?")
            if logical_id in created:
                r = created[logical_id]
                if rtype.startswith("Custom::") or rtype == "AWS::CloudFormation::CustomResource":
                    entry["not_rehearsed"].append({
                        "logical_id": logical_id, "type": rtype,
                        "reason": "custom resource: moto records it as complete but cannot run its Lambda handler "
                                  "(no Docker), so its side effects did not happen",
                    })
                else:
                    entry["created"].append({
                        "logical_id": logical_id, "type": rtype, "physical_id": r.get("PhysicalResourceId"),
                        "status": r.get("ResourceStatus"),
                    })
            elif ok:
                if rtype in unsupported:
                    reason = "type not supported by moto's CloudFormation (skipped with a warning)"
                elif "Condition" in res:
                    reason = f"not created (has Condition {res['Condition']}, which may be false)"
                else:
                    reason = "not created by the emulator"
                entry["not_rehearsed"].append({"logical_id": logical_id, "type": rtype, "reason": reason})
            else:
                entry["not_rehearsed"].append({"logical_id": logical_id, "type": rtype, "reason": "stack failed"})
        created_types = sorted({r["type"] for r in entry["created"]})
        skipped_types = sorted({r["type"] for r in entry["not_rehearsed"]})
        entry["created_types"] = created_types
        entry["not_rehearsed_types"] = skipped_types
        mark = "ok  " if ok else "FAIL"
        say(f"  [{mark}] {name}: {entry['status']}"
            + (f" ({entry.get('status_reason')})" if entry.get("status_reason") else "")
            + (f" -- {entry['error']}" if entry.get("error") else ""))
        say(f"         created ({len(entry['created'])}): "
            + ", ".join(f"{t} x{sum(r['type'] == t for r in entry['created'])}" for t in created_types))
        if entry["not_rehearsed"]:
            say(f"         NOT REHEARSED ({len(entry['not_rehearsed'])}):")
            for r in entry["not_rehearsed"]:
                say(f"           - {r['type']} {r['logical_id']}: {r['reason']}")
        entry["adapted_for_moto"] = [c for c in report.adapted_for_moto if c["stack"] == name]
        if entry["adapted_for_moto"]:
            say(f"         ADAPTED FOR MOTO ({len(entry['adapted_for_moto'])}, see --no-workarounds):")
            for c in entry["adapted_for_moto"]:
                say(f"           - {c['type']} {c['logical_id']}: {c['change']}"
                    + (f": {', '.join(c['depends_on'])}" if c.get("depends_on") else ""))


def inspect_endpoints(report: Report, client) -> None:
    sm = client("sagemaker")
    say("\n== SageMaker endpoints (as the emulator stores them)")
    try:
        names = [e["EndpointName"] for p in sm.get_paginator("list_endpoints").paginate() for e in p["Endpoints"]]
    except Exception as exc:  # noqa: BLE001
        say(f"  could not list endpoints: {exc}")
        return
    if not names:
        say("  (none)")
    for name in names:
        ep = sm.describe_endpoint(EndpointName=name)
        entry: dict[str, Any] = {"endpoint": name, "status": ep.get("EndpointStatus"),
                                 "config": ep.get("EndpointConfigName"), "variants": []}
        cfg_variants: dict[str, dict[str, Any]] = {}
        try:
            cfg = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
            cfg_variants = {v["VariantName"]: v for v in cfg.get("ProductionVariants", [])}
        except Exception as exc:  # noqa: BLE001
            entry["config_error"] = str(exc)
        live = {v["VariantName"]: v for v in ep.get("ProductionVariants", [])}
        for vname in list(cfg_variants) + [v for v in live if v not in cfg_variants]:
            c, lv = cfg_variants.get(vname, {}), live.get(vname, {})
            entry["variants"].append({
                "variant": vname,
                "model": c.get("ModelName"),
                "instance_type": c.get("InstanceType"),
                "serverless": c.get("ServerlessConfig"),
                "initial_weight": c.get("InitialVariantWeight"),
                "initial_instance_count": c.get("InitialInstanceCount"),
                "current_weight": lv.get("CurrentWeight"),
                "current_instance_count": lv.get("CurrentInstanceCount"),
            })
        report.endpoints.append(entry)
        say(f"  {name}: {entry['status']} (config {entry['config']})")
        for v in entry["variants"]:
            size = (f"serverless {v['serverless']}" if v["serverless"]
                    else f"{v['instance_type']} x{v['initial_instance_count']}")
            say(f"    - {v['variant']}: model {v['model']}, {size}, weight {v['initial_weight']}"
                f" (current weight {v['current_weight']}, current instances {v['current_instance_count']})")


def known_destroy_quirk(out: str, report: Report, client) -> str | None:
    """moto 5.2.5 does not delete AWS::EC2::RouteTable with its stack (no delete hook), so deleting the VPC fails.

    Recognised only when that is the sole error and every route table left in the VPC is one the stack created.
    """
    m = re.search(r"The vpc (vpc-\w+) has dependencies and cannot be deleted", out)
    errors = {e for e in re.findall(r"(?:❌|‣).*", out)}
    if not m or any("has dependencies" not in e for e in errors):
        return None
    ours = {r["physical_id"] for st in report.stacks for r in st["created"] if r["type"] == "AWS::EC2::RouteTable"}
    try:
        tables = client("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [m.group(1)]}])
    except Exception:  # noqa: BLE001
        return None
    left = {t["RouteTableId"] for t in tables["RouteTables"]
            if not any(a.get("Main") for a in t.get("Associations", []))}
    if left and left <= ours:
        return (f"moto does not delete AWS::EC2::RouteTable with its stack ({len(left)} left in {m.group(1)}), "
                "so the VPC deletion fails; the stack deleted everything else it could")
    return None


# --------------------------------------------------------------------------------------------------- smoke checks


@dataclasses.dataclass
class SmokeContext:
    """What a smoke case sees: the emulator, the deployed function's configuration, and a scratch dict."""
    moto: MotoServer
    client: Callable[[str], Any]
    function_name: str
    function_arn: str
    logical_id: str
    environment: dict[str, str]
    templates: list[dict[str, Any]]
    scratch: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class SmokeCase:
    """One entry of the smoke table. Hooks may raise StepFailed; check returns a list of problems (empty = pass)."""
    description: str
    event: Callable[[SmokeContext], dict[str, Any]]
    prepare: Callable[[SmokeContext], None] | None = None
    check: Callable[[SmokeContext, Any], list[str]] | None = None
    cleanup: Callable[[SmokeContext], None] | None = None
    expect_status: int | None = None
    import_only: bool = False


def apigw_proxy_event(method: str, path: str, body: str, content_type: str) -> dict[str, Any]:
    request_id = str(uuid.uuid4())
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": {"Content-Type": content_type, "Accept": "*/*", "Host": "rehearsal.execute-api.local"},
        "multiValueHeaders": {"Content-Type": [content_type], "Accept": ["*/*"]},
        "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path, "httpMethod": method, "path": f"/prod{path}", "stage": "prod",
            "accountId": ACCOUNT, "requestId": request_id, "apiId": "rehearsal",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "rehearse.py"},
        },
        "body": body, "isBase64Encoded": False,
    }


# -- invoke_endpoint: API Gateway REST proxy event to the route the endpoint can serve; the emulator's runtime answer
# is scripted first. A real-time or serverless endpoint gets POST /invocations with one CSV row (expects 200 and the
# scripted prediction in the body). An asynchronous endpoint (AsyncInferenceConfig) rejects InvokeEndpoint on AWS,
# although moto answers it, so its function gets POST /async-invocations naming an object uploaded under
# ASYNC_INPUT_BUCKET/ASYNC_INPUT_PREFIX (expects 202, and the scripted result at the returned output_location).
SCRIPTED_PREDICTION = "0.9"
CSV_ROW = "5.1,3.5,1.4,0.2,1.0"
DEFAULT_ASYNC_INPUT_PREFIX = "async-input/"  # the handler's default for ASYNC_INPUT_PREFIX


def _invoke_endpoint_prepare(ctx: SmokeContext) -> None:
    name = ctx.environment.get("ENDPOINT_NAME")
    if not name:
        raise StepFailed(f"function environment has no ENDPOINT_NAME (env keys: {sorted(ctx.environment)})")
    sm = ctx.client("sagemaker")
    try:
        ep = sm.describe_endpoint(EndpointName=name)
    except Exception as exc:  # noqa: BLE001
        raise StepFailed(f"ENDPOINT_NAME={name} does not name an endpoint in the emulator: {exc}") from exc
    variant = (ep.get("ProductionVariants") or [{}])[0].get("VariantName", "")
    try:
        config = sm.describe_endpoint_config(EndpointConfigName=ep["EndpointConfigName"])
    except Exception as exc:  # noqa: BLE001
        raise StepFailed(f"endpoint {name}: its config {ep.get('EndpointConfigName')} is not in the emulator: {exc}")
    if config.get("AsyncInferenceConfig"):
        _invoke_async_prepare(ctx, name)
        return
    ctx.scratch.update(route="sync", expect_status=200)
    # moto 5.2.5 moto_api/_internal/responses.py set_sagemaker_result: results[].Body/ContentType/
    # InvokedProductionVariant/CustomAttributes, plus optional account_id and region.
    ctx.moto.post_json("/moto-api/static/sagemaker/endpoint-results", {
        "account_id": ACCOUNT, "region": REGION,
        "results": [{"Body": SCRIPTED_PREDICTION, "ContentType": "text/csv",
                     "InvokedProductionVariant": variant, "CustomAttributes": ""}],
    })


def _invoke_async_prepare(ctx: SmokeContext, endpoint: str) -> None:
    bucket = ctx.environment.get("ASYNC_INPUT_BUCKET")
    if not bucket:
        raise StepFailed(f"endpoint {endpoint} is asynchronous (AsyncInferenceConfig) but the function has no "
                         "ASYNC_INPUT_BUCKET: its API can only call InvokeEndpoint, which SageMaker rejects for an "
                         "asynchronous endpoint")
    prefix = ctx.environment.get("ASYNC_INPUT_PREFIX", DEFAULT_ASYNC_INPUT_PREFIX)
    key = f"{prefix}rehearsal-{uuid.uuid4().hex[:8]}.csv"
    try:
        ctx.client("s3").put_object(Bucket=bucket, Key=key, Body=(CSV_ROW + "\n").encode(), ContentType="text/csv")
    except Exception as exc:  # noqa: BLE001
        raise StepFailed(f"cannot upload the async input to ASYNC_INPUT_BUCKET={bucket}: {exc}") from exc
    ctx.scratch.update(route="async", expect_status=202, bucket=bucket, key=key,
                       description=f"API Gateway REST proxy POST /async-invocations for s3://{bucket}/{key} "
                                   f"(asynchronous endpoint); moto's async result scripted to {SCRIPTED_PREDICTION}")
    # moto 5.2.5 moto_api/_internal/responses.py set_sagemaker_async_result: results[].data, optional is_failure.
    ctx.moto.post_json("/moto-api/static/sagemaker/async-endpoint-results", {
        "account_id": ACCOUNT, "region": REGION, "results": [{"data": SCRIPTED_PREDICTION}],
    })


def _invoke_endpoint_event(ctx: SmokeContext) -> dict[str, Any]:
    if ctx.scratch.get("route") == "async":
        body = json.dumps({"input_location": f"s3://{ctx.scratch['bucket']}/{ctx.scratch['key']}",
                           "content_type": "text/csv"})
        return apigw_proxy_event("POST", "/async-invocations", body, "application/json")
    return apigw_proxy_event("POST", "/invocations", CSV_ROW, "text/csv")


def _s3_url(url: Any) -> tuple[str, str] | None:
    if isinstance(url, str) and url.startswith("s3://") and "/" in url[5:]:
        bucket, key = url[5:].split("/", 1)
        return bucket, key
    return None


def _invoke_endpoint_check(ctx: SmokeContext, result: Any) -> list[str]:
    body = result.get("body") if isinstance(result, dict) else None
    if ctx.scratch.get("route") != "async":
        if SCRIPTED_PREDICTION not in str(body):
            return [f"body does not carry the scripted prediction {SCRIPTED_PREDICTION}: {body!r:.200}"]
        return []
    try:
        answer = json.loads(body)
    except (TypeError, ValueError):
        return [f"the async route's body is not JSON: {body!r:.200}"]
    output = _s3_url(answer.get("output_location")) if isinstance(answer, dict) else None
    if not output:
        return [f"the async route's body has no s3:// output_location: {body!r:.200}"]
    ctx.scratch["async_output"] = [output, _s3_url(answer.get("failure_location"))]
    try:
        data = ctx.client("s3").get_object(Bucket=output[0], Key=output[1])["Body"].read().decode()
    except Exception as exc:  # noqa: BLE001
        return [f"output_location s3://{output[0]}/{output[1]} cannot be read from the emulator: {exc}"]
    if data != SCRIPTED_PREDICTION:
        return [f"output_location holds {data!r:.100}, not the scripted result {SCRIPTED_PREDICTION!r}"]
    ctx.scratch["note"] = f"output_location s3://{output[0]}/{output[1]} holds the scripted result"
    return []


def _invoke_endpoint_cleanup(ctx: SmokeContext) -> None:
    # The input bucket must be empty again for the stack deletion; moto's own output bucket belongs to no stack.
    s3 = ctx.client("s3")
    if ctx.scratch.get("key"):
        s3.delete_object(Bucket=ctx.scratch["bucket"], Key=ctx.scratch["key"])
    for loc in ctx.scratch.get("async_output") or []:
        if loc and loc[0].startswith("sagemaker-output-"):
            try:
                s3.delete_object(Bucket=loc[0], Key=loc[1])
                s3.delete_bucket(Bucket=loc[0])
            except Exception:  # noqa: BLE001 - already gone (output and failure share a bucket)
                pass


# -- batch_transform_trigger: an object lands in the input prefix of the deployed bucket; expect a transform job.


def _bucket_from_env(ctx: SmokeContext) -> str:
    s3 = ctx.client("s3")
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    preferred = [k for k in ctx.environment if "BUCKET" in k.upper() and "OUTPUT" not in k.upper()]
    for key in preferred + sorted(ctx.environment):
        value = ctx.environment[key]
        if value in buckets:
            return value
        if value.startswith("s3://") and value[5:].split("/", 1)[0] in buckets:
            return value[5:].split("/", 1)[0]
    raise StepFailed(f"no environment variable names a bucket in the emulator (env keys: {sorted(ctx.environment)})")


def _input_prefix(ctx: SmokeContext) -> str:
    for key, value in sorted(ctx.environment.items()):
        if "PREFIX" in key.upper() and "OUTPUT" not in key.upper():
            return value if value.endswith("/") or not value else value + "/"
    return "input/"


def _batch_prepare(ctx: SmokeContext) -> None:
    bucket, prefix = _bucket_from_env(ctx), _input_prefix(ctx)
    key = f"{prefix}rehearsal-{uuid.uuid4().hex[:8]}.csv"
    ctx.client("s3").put_object(Bucket=bucket, Key=key, Body=b"5.1,3.5,1.4,0.2,1.0\n6.2,3.4,5.4,2.3,1.0\n")
    ctx.scratch.update(bucket=bucket, key=key)
    ctx.scratch["jobs_before"] = _transform_jobs(ctx)


def _transform_jobs(ctx: SmokeContext) -> set[str]:
    sm = ctx.client("sagemaker")
    return {j["TransformJobName"] for p in sm.get_paginator("list_transform_jobs").paginate()
            for j in p["TransformJobSummaries"]}


def _wired_by_s3_notification(ctx: SmokeContext) -> bool:
    """True when a Custom::S3BucketNotifications resource of the app targets this function (else: EventBridge)."""
    for template in ctx.templates:
        for res in template.get("Resources", {}).values():
            if res.get("Type") == "Custom::S3BucketNotifications":
                cfg = json.dumps(res.get("Properties", {}).get("NotificationConfiguration", {}))
                if "LambdaFunctionConfigurations" in cfg and f'"{ctx.logical_id}"' in cfg:
                    return True
    return False


def _batch_event(ctx: SmokeContext) -> dict[str, Any]:
    bucket, key = ctx.scratch["bucket"], ctx.scratch["key"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if _wired_by_s3_notification(ctx):
        ctx.scratch["event_kind"] = "s3-notification"
        return {"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION, "eventTime": now,
            "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0", "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                   "object": {"key": urllib.parse.quote_plus(key), "size": 42, "sequencer": "0"}},
        }]}
    ctx.scratch["event_kind"] = "eventbridge"
    return {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
        "account": ACCOUNT, "time": now, "region": REGION, "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": key, "size": 42, "etag": "0", "sequencer": "0"},
                   "request-id": "rehearsal", "requester": ACCOUNT, "reason": "PutObject"},
    }


def _batch_check(ctx: SmokeContext, result: Any) -> list[str]:
    new = _transform_jobs(ctx) - ctx.scratch.get("jobs_before", set())
    ctx.scratch["note"] = f"{ctx.scratch.get('event_kind')} event; transform jobs created: {sorted(new)}"
    return [] if new else ["no SageMaker transform job was created"]


def _batch_cleanup(ctx: SmokeContext) -> None:
    # The bucket must be empty again, or the emulator's stack deletion fails like CloudFormation's would.
    if ctx.scratch.get("bucket"):
        ctx.client("s3").delete_object(Bucket=ctx.scratch["bucket"], Key=ctx.scratch["key"])


def _neo_event(ctx: SmokeContext) -> dict[str, Any]:
    prefix = ctx.environment.get("INPUT_PREFIX", "neo/input/")
    return {"key": f"{prefix}rehearsal/model.tar.gz", "version_id": uuid.uuid4().hex}


def _neo_check(ctx: SmokeContext, result: Any) -> list[str]:
    if not isinstance(result, dict) or result.get("status") not in ("created", "already_started"):
        return [f"expected status 'created', got {result!r}"]
    job = result.get("job_name")
    jobs = {j["CompilationJobName"] for j in ctx.client("sagemaker").list_compilation_jobs()["CompilationJobSummaries"]}
    ctx.scratch["note"] = f"compilation job {job}"
    return [] if job in jobs else [f"compilation job {job!r} was not created"]


def _studio_teardown_event(ctx: SmokeContext) -> dict[str, Any]:
    # moto 5 emulates no Studio apps or spaces (and its CloudFormation may skip the domain): rehearse the isComplete
    # call of a stack deletion for a domain the emulator does not hold, which must complete without deleting anything.
    props = {"DomainId": "d-rehearsal0000", "KeepSpaces": [], "TimeoutSeconds": "1500"}
    return {"RequestType": "Delete", "PhysicalResourceId": "studio-teardown-d-rehearsal0000",
            "ResourceProperties": props, "TeardownPhase": "delete", "TeardownDeadline": str(int(time.time()) + 60)}


def _studio_teardown_check(ctx: SmokeContext, result: Any) -> list[str]:
    ctx.scratch["note"] = "isComplete for a domain the emulator does not hold (no apps/spaces in moto)"
    return [] if result == {"IsComplete": True} else [f"expected {{'IsComplete': True}}, got {result!r}"]


# -- labeling_manifest: data objects (odd keys) land under the labeling job's input prefix; expect their manifest.


def _labeling_prepare(ctx: SmokeContext) -> None:
    bucket, prefix = ctx.environment["BUCKET"], ctx.environment["INPUT_PREFIX"]
    run = uuid.uuid4().hex[:8]
    keys = [f"{prefix}rehearsal-{run}/{name}" for name in ("tabby cat.png", "a+b.png", "été 😀.png")]
    # With automated labeling the function refuses fewer objects than Ground Truth's minimum: reach it.
    minimum = int(ctx.environment.get("MIN_OBJECTS", "0") or 0)
    keys += [f"{prefix}rehearsal-{run}/bulk/{i:05d}.png" for i in range(max(0, minimum - len(keys)))]
    s3 = ctx.client("s3")
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"\x89PNG rehearsal")
    ctx.scratch.update(bucket=bucket, keys=keys, job=f"rehearsal-{run}")


def _labeling_event(ctx: SmokeContext) -> dict[str, Any]:
    return {"job_name": ctx.scratch["job"]}


def _labeling_check(ctx: SmokeContext, result: Any) -> list[str]:
    if not isinstance(result, dict) or result.get("objects") != len(ctx.scratch["keys"]):
        return [f"expected a manifest of {len(ctx.scratch['keys'])} objects, got {result!r}"]
    key = result["manifest_uri"].split("/", 3)[3]
    ctx.scratch["manifest"] = key
    body = ctx.client("s3").get_object(Bucket=ctx.scratch["bucket"], Key=key)["Body"].read().decode("utf-8")
    refs = [json.loads(line)["source-ref"] for line in body.splitlines()]
    expected = [f"s3://{ctx.scratch['bucket']}/{k}" for k in sorted(ctx.scratch["keys"])]
    ctx.scratch["note"] = f"manifest {key} with {len(refs)} source-refs"
    return [] if refs == expected else [f"manifest lines {refs} differ from {expected}"]


def _labeling_cleanup(ctx: SmokeContext) -> None:
    s3 = ctx.client("s3")
    keys = [*ctx.scratch.get("keys", []), *([ctx.scratch["manifest"]] if ctx.scratch.get("manifest") else [])]
    for i in range(0, len(keys), 1000):
        s3.delete_objects(Bucket=ctx.scratch["bucket"], Delete={"Objects": [{"Key": k} for k in keys[i:i + 1000]]})


# -- registry_resolver: a CloudFormation Create request for the deployed resolver, answered on a pre-signed S3 URL (as
# CloudFormation's own response URL is); the emulator holds no approved version, so the fallback must come back.
RESPONSE_BUCKET = "rehearsal-cfn-responses"
REHEARSAL_FALLBACK = "s3://rehearsal-assets/fallback/model.tar.gz"


def _resolver_prepare(ctx: SmokeContext) -> None:
    s3 = ctx.client("s3")
    try:
        s3.create_bucket(Bucket=RESPONSE_BUCKET)
    except Exception:  # noqa: BLE001 - already there from an earlier case
        pass
    key = f"{ctx.logical_id}/{uuid.uuid4().hex[:8]}.json"
    ctx.scratch.update(key=key, url=s3.generate_presigned_url(
        "put_object", Params={"Bucket": RESPONSE_BUCKET, "Key": key}, ExpiresIn=900))


def _resolver_event(ctx: SmokeContext) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for template in ctx.templates:
        for res in template.get("Resources", {}).values():
            token = (res.get("Properties") or {}).get("ServiceToken")
            if res.get("Type") == "Custom::RegistryModelData" and f'"{ctx.logical_id}"' in json.dumps(token):
                properties = dict(res["Properties"])
    properties["FallbackModelDataUrl"] = REHEARSAL_FALLBACK  # the asset URL is an Fn::Sub in the template
    ctx.scratch["group"] = properties.get("GroupName")
    return {"RequestType": "Create", "ResponseURL": ctx.scratch["url"],
            "StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/rehearsal/{uuid.uuid4()}",
            "RequestId": str(uuid.uuid4()), "LogicalResourceId": "RegistryResolver",
            "ResourceType": "Custom::RegistryModelData", "ResourceProperties": properties}


def _resolver_check(ctx: SmokeContext, result: Any) -> list[str]:
    body = ctx.client("s3").get_object(Bucket=RESPONSE_BUCKET, Key=ctx.scratch["key"])["Body"].read()
    answer = json.loads(body)
    ctx.scratch["note"] = (f"group {ctx.scratch.get('group')}: answered {answer.get('Status')} "
                           f"({answer.get('Data', {}).get('Source')})")
    problems = [] if answer.get("Status") == "SUCCESS" else [f"answered {answer.get('Status')}: {answer.get('Reason')}"]
    if answer.get("Data", {}).get("ModelDataUrl") != REHEARSAL_FALLBACK:
        problems.append(f"expected the fallback artifact with no approved version, got {answer.get('Data')}")
    return problems


def _resolver_cleanup(ctx: SmokeContext) -> None:
    if ctx.scratch.get("key"):
        s3 = ctx.client("s3")
        s3.delete_object(Bucket=RESPONSE_BUCKET, Key=ctx.scratch["key"])
        try:
            s3.delete_bucket(Bucket=RESPONSE_BUCKET)
        except Exception:  # noqa: BLE001 - another resolver's answer still in it
            pass


# The smoke table, keyed by handler module name (the part of Handler before the last dot).
# Add an entry here, or pass --smoke-events FILE with {"<module>": {"event": {...}, "expect_status": 200}}.
SMOKE_CASES: dict[str, SmokeCase] = {
    "invoke_endpoint": SmokeCase(
        description="API Gateway REST proxy POST /invocations of one text/csv row; moto's endpoint result scripted "
                    f"to {SCRIPTED_PREDICTION}",
        event=_invoke_endpoint_event,
        prepare=_invoke_endpoint_prepare,
        check=_invoke_endpoint_check,
        cleanup=_invoke_endpoint_cleanup,
        expect_status=200,
    ),
    "batch_transform_trigger": SmokeCase(
        description="object put under the input prefix of the deployed bucket, then an S3 Object Created event; "
                    "expects a new transform job",
        event=_batch_event,
        prepare=_batch_prepare,
        check=_batch_check,
        cleanup=_batch_cleanup,
    ),
    "studio_teardown": SmokeCase(
        description="isComplete of a Delete for a Studio domain the emulator does not hold; expects IsComplete",
        event=_studio_teardown_event,
        check=_studio_teardown_check,
    ),
    "neo_compile": SmokeCase(
        description="on-demand start for an artifact key under the input prefix; expects a new compilation job",
        event=_neo_event,
        check=_neo_check,
    ),
    "labeling_manifest": SmokeCase(
        description="images with a space, '+' and unicode in their keys under the labeling input prefix (as many "
                    "as automated labeling's minimum); expects their {\"source-ref\"} manifest (Ground Truth itself "
                    "is not emulated)",
        event=_labeling_event,
        prepare=_labeling_prepare,
        check=_labeling_check,
        cleanup=_labeling_cleanup,
    ),
    "registry_resolver": SmokeCase(
        description="CloudFormation Create request answered on a pre-signed S3 URL; with no approved version in the "
                    "group, expects SUCCESS with the fallback artifact",
        event=_resolver_event,
        prepare=_resolver_prepare,
        check=_resolver_check,
        cleanup=_resolver_cleanup,
    ),
}


def load_smoke_events(path: Path) -> dict[str, SmokeCase]:
    data = json.loads(path.read_text())
    cases = {}
    for module, spec in data.items():
        event = spec.get("event", {})
        cases[module] = SmokeCase(
            description=spec.get("description", f"event from {path.name}"),
            event=lambda ctx, e=event: json.loads(json.dumps(e)),
            expect_status=spec.get("expect_status"),
        )
    return cases


# Executed in a separate interpreter (python -I -S): only the stdlib, the unzipped package and the runtime's boto3.
HANDLER_RUNNER = textwrap.dedent('''
    import importlib, json, sys, traceback, time
    pkg, runtime, handler, event_file, result_file = sys.argv[1:6]
    sys.path[:0] = [pkg]
    sys.path.append(runtime)
    def emit(doc, code):
        with open(result_file, "w") as f:
            json.dump(doc, f, default=repr)
        sys.exit(code)
    class Context:
        function_name = "rehearsal"; function_version = "$LATEST"; memory_limit_in_mb = 128
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:rehearsal"
        aws_request_id = "00000000-0000-0000-0000-000000000000"; log_group_name = "/aws/lambda/rehearsal"
        log_stream_name = "rehearsal"; identity = None; client_context = None
        _deadline = time.time() + 60
        def get_remaining_time_in_millis(self):
            return int(max(0, self._deadline - time.time()) * 1000)
    module_name, _, func_name = handler.rpartition(".")
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
        func = getattr(module, func_name)
    except BaseException as exc:
        emit({"phase": "import", "error_type": type(exc).__name__, "error": str(exc),
              "traceback": traceback.format_exc()}, 3)
    with open(event_file) as f:
        event = json.load(f)
    if event is None:
        emit({"phase": "done", "result": None, "import_only": True}, 0)
    try:
        result = func(event, Context())
    except BaseException as exc:
        emit({"phase": "invoke", "error_type": type(exc).__name__, "error": str(exc),
              "traceback": traceback.format_exc()}, 4)
    emit({"phase": "done", "result": result}, 0)
''')


def runtime_dir(state_dir: Path) -> Path:
    """A directory with what the Lambda Python runtime adds to the stdlib: boto3 and its dependencies."""
    target = state_dir / "lambda-runtime"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    import importlib.util

    for name in LAMBDA_RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        src = origin.parent if origin.name == "__init__.py" else origin
        (target / src.name).symlink_to(src)
    return target


def download_code(ctx: SmokeContext, fn: dict[str, Any]) -> bytes:
    """The function's code as the emulator holds it, located through get_function's Code.Location."""
    code = fn.get("Code") or {}
    location = code.get("Location", "")
    if code.get("RepositoryType") != "S3" or not location.startswith("http"):
        raise StepFailed(f"no downloadable code package (Code: {code})")
    parsed = urllib.parse.urlparse(location)
    if parsed.hostname in ("localhost", "127.0.0.1"):
        with urllib.request.urlopen(location, timeout=30) as r:
            return r.read()
    # moto 5 answers with a fake https://awslambda-<region>-tasks.s3... URL whose path is the S3 key the function
    # was created from: fetch that key from the emulator's own S3 (the CDK asset bucket), never from the source tree.
    key = urllib.parse.unquote(parsed.path.lstrip("/"))
    s3 = ctx.client("s3")
    names = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    names.sort(key=lambda n: not n.startswith("cdk-"))
    for bucket in names:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            continue
        except Exception:  # noqa: BLE001 - other buckets may refuse; keep looking
            continue
    raise StepFailed(f"code package {key!r} (from Code.Location {location}) is in no emulator bucket")


def function_inventory(assembly: list[dict[str, Any]], client) -> list[dict[str, Any]]:
    cfn = client("cloudformation")
    out = []
    for st in assembly:
        resources = st["template"].get("Resources", {})
        try:
            pages = list(cfn.get_paginator("list_stack_resources").paginate(StackName=st["stack_name"]))
        except Exception:  # noqa: BLE001 - a failed stack has nothing to smoke
            continue
        for page in pages:
            for r in page["StackResourceSummaries"]:
                if r.get("ResourceType") == "AWS::Lambda::Function" and r.get("PhysicalResourceId"):
                    res = resources.get(r["LogicalResourceId"], {})
                    out.append({"stack": st["stack_name"], "logical_id": r["LogicalResourceId"],
                                "name": r["PhysicalResourceId"], "cdk_path": cdk_path(res)})
    return out


def smoke_functions(report: Report, args: argparse.Namespace, assembly: list[dict[str, Any]], client,
                    moto: MotoServer, state_dir: Path, cases: dict[str, SmokeCase]) -> None:
    say("\n== Smoke checks (code downloaded from the emulator, run locally; moto cannot run Lambda without Docker)")
    lam = client("lambda")
    runtime = runtime_dir(state_dir)
    work = state_dir / "smoke"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    runner_py = work / "runner.py"
    runner_py.write_text(HANDLER_RUNNER)
    templates = [st["template"] for st in assembly]
    functions = function_inventory(assembly, client)
    if not functions:
        say("  (no Lambda functions deployed)")
    for f in functions:
        entry: dict[str, Any] = {"function": f["name"], "stack": f["stack"], "cdk_path": f["cdk_path"]}
        report.smoke.append(entry)
        try:
            fn = lam.get_function(FunctionName=f["name"])
        except Exception as exc:  # noqa: BLE001
            entry.update(result="failed", reason=f"get_function failed: {exc}")
            report.fail(f"smoke {f['name']}: get_function failed: {exc}")
            continue
        conf = fn["Configuration"]
        handler, runtime_name = conf.get("Handler", ""), conf.get("Runtime", "")
        env_vars = (conf.get("Environment") or {}).get("Variables") or {}
        module = handler.rpartition(".")[0].replace("/", ".")
        entry.update(handler=handler, runtime=runtime_name, module=module)
        label = f"{f['stack']}/{f['logical_id']} ({handler}, {runtime_name or 'no runtime'})"
        marker = next((m for m in CDK_INTERNAL_PATH_MARKERS if m in f["cdk_path"]), None)
        if marker:
            entry.update(result="skipped", reason=f"CDK-internal function (aws:cdk:path contains {marker!r})")
            say(f"  [skip] {label}: {entry['reason']}")
            continue
        if not runtime_name.startswith("python"):
            entry.update(result="skipped", reason=f"not a Python function ({runtime_name or conf.get('PackageType')})")
            say(f"  [skip] {label}: {entry['reason']}")
            continue
        case = cases.get(module) or cases.get(module.rpartition(".")[2])
        if case is None:
            # No event to send: still prove that the deployed package imports (a missing dependency fails here).
            case = SmokeCase(description="import only", event=lambda ctx: {}, import_only=True)
        ctx = SmokeContext(moto=moto, client=client, function_name=f["name"], function_arn=conf["FunctionArn"],
                           logical_id=f["logical_id"], environment=dict(env_vars), templates=templates)
        problems: list[str] = []
        try:
            problems = run_smoke_case(ctx, case, fn, f, work, runner_py, runtime, moto, entry)
        except StepFailed as exc:
            problems = [str(exc)]
        finally:
            if case.cleanup:
                try:
                    case.cleanup(ctx)
                except Exception as exc:  # noqa: BLE001
                    say(f"    (cleanup of {f['name']} failed: {exc})")
        if ctx.scratch.get("note"):
            entry["note"] = ctx.scratch["note"]
        description = ctx.scratch.get("description", case.description)
        entry["description"] = description
        if problems:
            entry.update(result="failed", reason="; ".join(problems))
            say(f"  [FAIL] {label}: {description}")
            kind = entry.get("failure_kind", "SMOKE CHECK FAILED")
            loud(f"{kind}: {f['stack']}/{f['logical_id']} handler {handler}", problems)
            report.fail(f"smoke {f['stack']}/{f['logical_id']} ({handler}): {kind}: {'; '.join(problems)[:500]}")
        elif case.import_only:
            entry.update(result="skipped", reason=f"no smoke event for handler module {module!r} in the smoke table "
                                                  "(the deployed package imports)")
            say(f"  [skip] {label}: {entry['reason']}")
        else:
            entry.update(result="passed")
            say(f"  [ok  ] {label}: {description}"
                + (f" -> statusCode {entry.get('status_code')}" if entry.get("status_code") is not None else "")
                + (f" ({entry['note']})" if entry.get("note") else ""))


def run_smoke_case(ctx: SmokeContext, case: SmokeCase, fn: dict[str, Any], f: dict[str, Any], work: Path,
                   runner_py: Path, runtime: Path, moto: MotoServer, entry: dict[str, Any]) -> list[str]:
    conf = fn["Configuration"]
    data = download_code(ctx, fn)
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    if conf.get("CodeSha256") and sha != conf["CodeSha256"]:
        raise StepFailed(f"downloaded package sha256 {sha} differs from the function's CodeSha256 {conf['CodeSha256']}")
    pkg = work / f["name"]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(pkg)
    entry["package_files"] = sum(1 for p in pkg.rglob("*") if p.is_file())
    if case.prepare:
        case.prepare(ctx)
    event_file, result_file = work / f"{f['name']}.event.json", work / f"{f['name']}.result.json"
    event_file.write_text("null" if case.import_only else json.dumps(case.event(ctx)))
    result_file.unlink(missing_ok=True)
    # Exactly the function's environment, the emulator endpoint, fake credentials and what Lambda itself sets.
    env = dict(ctx.environment)
    env.update(FAKE_CREDENTIALS)
    env.update({
        "AWS_ENDPOINT_URL": moto.url, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_LAMBDA_FUNCTION_NAME": f["name"], "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(conf.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_EXECUTION_ENV": f"AWS_Lambda_{conf.get('Runtime')}",
        "LAMBDA_TASK_ROOT": str(pkg), "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "TZ": ":UTC",
        "HOME": str(work),
    })
    timeout = max(30, int(conf.get("Timeout", 3)) * 4)
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-S", str(runner_py), str(pkg), str(runtime), conf["Handler"], str(event_file),
             str(result_file)],
            cwd=pkg, env=env, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        entry["failure_kind"] = "HANDLER TIMED OUT"
        return [f"handler did not return within {timeout}s"]
    entry["stdout_tail"] = tail(proc.stdout + proc.stderr, 15)
    if not result_file.exists():
        entry["failure_kind"] = "HANDLER CRASHED"
        return [f"runner exited {proc.returncode} without a result", tail(proc.stderr, 15)]
    outcome = json.loads(result_file.read_text())
    if outcome["phase"] == "import":
        entry["failure_kind"] = "HANDLER PACKAGE DOES NOT IMPORT (missing dependency?)"
        return [f"import of {conf['Handler']} failed: {outcome['error_type']}: {outcome['error']}",
                tail(outcome["traceback"], 6)]
    if outcome["phase"] == "invoke":
        entry["failure_kind"] = "HANDLER RAISED"
        return [f"{outcome['error_type']}: {outcome['error']}", tail(outcome["traceback"], 8)]
    result = outcome["result"]
    entry["result_preview"] = json.dumps(result, default=repr)[:300]
    problems = []
    status = result.get("statusCode") if isinstance(result, dict) else None
    entry["status_code"] = status
    expected = ctx.scratch.get("expect_status", case.expect_status)  # a prepare hook may pick the route
    if isinstance(status, int) and status >= 500:
        entry["failure_kind"] = "SMOKE CHECK RETURNED 5xx"
        problems.append(f"statusCode {status}: {str(result.get('body'))[:300]}")
    elif expected is not None and status != expected:
        problems.append(f"statusCode {status}, expected {expected}: {str(result)[:300]}")
    if case.check and not problems:
        problems += case.check(ctx, result)
    return problems


# --------------------------------------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--app-dir", type=Path, default=REPO_ROOT,
                   help="directory holding the cdk.json of the app to rehearse (default: the repository root)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="where moto.pid, moto.log, logs/ and the smoke scratch go (default: <repo>/.rehearse)")
    p.add_argument("--output", type=Path, default=None, help="cdk.out directory (default: <state-dir>/cdk.out)")
    p.add_argument("--report", type=Path, default=None, help="write the JSON report to this file")
    p.add_argument("--smoke-events", type=Path, action="append", default=[],
                   help="JSON file {module: {event: {...}, expect_status: N}} adding to/overriding the smoke table")
    p.add_argument("--keep-going", action="store_true",
                   help="run every step even after a failure (the exit code still reports it)")
    p.add_argument("--skip-diff", action="store_true", help="do not run cdk diff after deploying")
    p.add_argument("--diff-method", default="template", choices=["template", "auto", "change-set"],
                   help="cdk diff --method (default template: moto 5.2.5's DeleteChangeSet answers HTTP 500 for an "
                        "unknown change set, so the change-set methods spend ~45 s in retries, then fall back)")
    p.add_argument("--no-workarounds", action="store_true",
                   help="deploy the synthesized templates unchanged, in one `cdk deploy --all` (see MOTO_WORKAROUNDS, "
                        "MOTO_SKIPPED_ARN_TYPES, _order_by_dependencies, _lambda_log_group_edges and deployment_waves "
                        "for what is otherwise adapted)")
    p.add_argument("--cdk", default=None, help="CDK CLI command (default: <repo>/node_modules/.bin/cdk)")
    p.add_argument("--timeout", type=float, default=900, help="seconds allowed per CLI step")
    p.add_argument("-v", "--verbose", action="store_true", help="stream the CLI output")
    return p.parse_args(argv)


def install_signal_handlers() -> None:
    def handler(signum, _frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    app_dir = args.app_dir.resolve()
    state_dir = (args.state_dir or REPO_ROOT / ".rehearse").resolve()
    out_dir = (args.output or state_dir / "cdk.out").resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    report = Report(app_dir=str(app_dir))
    if not (app_dir / "cdk.json").exists():
        loud("REHEARSAL CANNOT START", [f"{app_dir} holds no cdk.json"])
        return 2
    cases = dict(SMOKE_CASES)
    for path in args.smoke_events:
        cases.update(load_smoke_events(path))

    install_signal_handlers()
    moto = MotoServer(state_dir)
    runner: Runner | None = None
    deployed_attempted = False
    cdk = cdk_command(args)
    say(f"Rehearsal of {app_dir} against a local moto server (state in {state_dir})")

    def step(name: str, fn: Callable[[], None], always: bool = False) -> bool:
        if not report.ok and not args.keep_going and not always:
            say(f"\n-- {name}: skipped (an earlier step failed; --keep-going runs it anyway)")
            report.steps.append({"step": name, "ok": None, "seconds": 0, "detail": "skipped"})
            return False
        say(f"\n-- {name}")
        t0 = time.monotonic()
        ok, detail = True, ""
        try:
            fn()
        except _Quiet as exc:  # the failures were recorded and shouted by the step itself
            ok, detail = False, str(exc)
        except StepFailed as exc:
            ok, detail = False, str(exc)
            loud(f"STEP FAILED: {name}", [detail])
            report.fail(f"{name}: {detail.splitlines()[0] if detail else ''}")
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug or an emulator surprise: report it, keep cleaning up
            ok, detail = False, f"{type(exc).__name__}: {exc}"
            loud(f"STEP CRASHED: {name}", [traceback.format_exc()])
            report.fail(f"{name}: {detail}")
        secs = round(time.monotonic() - t0, 1)
        report.steps.append({"step": name, "ok": ok, "seconds": secs, "detail": detail[:2000]})
        say(f"   {name}: {'ok' if ok else 'FAILED'} in {secs}s")
        return ok

    def start() -> None:
        nonlocal runner
        moto.start()
        report.emulator = {"url": moto.url, "pid": moto.proc.pid if moto.proc else None,
                           "log": str(moto.log_file), "account": ACCOUNT, "region": REGION}
        say(f"   moto_server pid {report.emulator['pid']} on {moto.url} (pid file {moto.pid_file})")
        runner = Runner(args, state_dir, emulator_env(moto, state_dir))
        ident = clients(moto)("sts").get_caller_identity()
        if ident.get("Account") != ACCOUNT:
            raise StepFailed(f"the emulator answers as account {ident.get('Account')}, expected {ACCOUNT}")

    def cli(name: str, extra: list[str], cwd: Path) -> tuple[int, str]:
        assert runner is not None
        return runner.run(name, cdk + extra + ["--no-notices"], cwd, args.timeout)

    def bootstrap() -> None:
        # Run outside the app dir, so that the CLI does not synthesize the app just to bootstrap; keep its qualifier.
        extra = []
        try:
            qualifier = json.loads((app_dir / "cdk.json").read_text()).get("context", {}).get(
                "@aws-cdk/core:bootstrapQualifier")
        except (OSError, ValueError):
            qualifier = None
        if qualifier:
            extra = ["--qualifier", str(qualifier)]
        rc, out = cli("bootstrap", ["bootstrap", f"aws://{ACCOUNT}/{REGION}"] + extra, state_dir)
        if rc != 0:
            raise StepFailed(f"cdk bootstrap exited {rc}: {cli_error(out)}\n{tail(out)}")

    assembly: list[dict[str, Any]] = []

    def synth() -> None:
        nonlocal assembly
        shutil.rmtree(out_dir, ignore_errors=True)
        rc, out = cli("synth", ["synth", "--quiet", "--output", str(out_dir)], app_dir)
        if rc != 0 or not (out_dir / "manifest.json").exists():
            raise StepFailed(f"cdk synth exited {rc}: {cli_error(out)}\n{tail(out)}")
        report.adapted_for_moto = [] if args.no_workarounds else adapt_templates_for_moto(out_dir)
        groups: dict[tuple[str, str], list[str]] = {}
        for c in report.adapted_for_moto:
            kind = re.sub(r"^\d+ |(?<= and )\d+ |\S+\.Arn", lambda m: "" if m.group(0)[0].isdigit() else "<id>.Arn",
                          c["change"])
            groups.setdefault((c["type"], kind), []).append(c["logical_id"])
        for (rtype, kind), ids in groups.items():
            say(f"   ADAPTED FOR MOTO: {len(ids)} {rtype} ({kind}; --no-workarounds to disable): {', '.join(ids)}")
        assembly = read_assembly(out_dir)
        say(f"   stacks in the app: {', '.join(s['stack_name'] for s in assembly) or '(none)'}")

    def stack_outputs(name: str) -> dict[str, str]:
        """The Outputs moto holds for a deployed stack, evaluated first if its change set left them out."""
        cfn = clients(moto)("cloudformation")
        desc = cfn.describe_stacks(StackName=name)["Stacks"][0]
        template_outputs = next((st["template"].get("Outputs") or {} for st in assembly if st["stack_name"] == name),
                                {})
        if template_outputs and not desc.get("Outputs"):
            before = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                      for p in cfn.get_paginator("list_stack_resources").paginate(StackName=name)
                      for r in p["StackResourceSummaries"] if r.get("LogicalResourceId")}
            cfn.update_stack(StackName=name, UsePreviousTemplate=True,
                             Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
            after = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                     for p in cfn.get_paginator("list_stack_resources").paginate(StackName=name)
                     for r in p["StackResourceSummaries"] if r.get("LogicalResourceId")}
            if after != before:
                raise StepFailed(f"evaluating the Outputs of {name} (UpdateStack, previous template) changed its "
                                 "resources in the emulator")
            desc = cfn.describe_stacks(StackName=name)["Stacks"][0]
            change = {"stack": name, "logical_id": "-", "type": "Outputs",
                      "change": f"{len(desc.get('Outputs') or [])} Outputs evaluated by an UpdateStack with the "
                                "template it was deployed with (no resource changes; status now UPDATE_COMPLETE)",
                      "why": "moto 5.2.5's ExecuteChangeSet never evaluates Outputs, and another stack reads them"}
            report.adapted_for_moto.append(change)
            say(f"   ADAPTED FOR MOTO: {name}: {change['change']} ({change['why']})")
        return {o["OutputKey"]: o.get("OutputValue") for o in desc.get("Outputs") or []}

    def deploy_wave(wave: list[dict[str, Any]], index: int, total: int) -> tuple[int, str]:
        names = {st["stack_name"] for st in assembly}
        values: dict[str, dict[str, str]] = {}
        for st in wave:
            for producer in sorted(stack_output_producers(st["template"], names)):
                if producer not in values:
                    values[producer] = stack_outputs(producer)
            if not values:
                continue
            path = out_dir / st["template_file"]
            template = json.loads(path.read_text())
            replaced = resolve_stack_outputs(template, values)
            if replaced:
                path.write_text(json.dumps(template, indent=1))
                st["template"] = template
            for owner, keys in replaced.items():
                rtype = (template.get("Resources", {}).get(owner) or {}).get("Type", owner.split(".")[0])
                report.adapted_for_moto.append({
                    "stack": st["stack_name"], "logical_id": owner, "type": rtype,
                    "change": f"{len(keys)} Fn::GetStackOutput read(s) replaced by the value the emulator holds",
                    "outputs": sorted(set(keys)),
                    "why": "moto 5.2.5 does not implement Fn::GetStackOutput (CDK weak cross-stack references) and "
                           "would deploy the intrinsic unresolved"})
            if replaced:
                say(f"   ADAPTED FOR MOTO: {st['stack_name']}: {sum(map(len, replaced.values()))} Fn::GetStackOutput "
                    f"read(s) in {len(replaced)} resource(s)/output(s) replaced by the values of "
                    f"{', '.join(sorted({k.split('.')[0] for v in replaced.values() for k in v}))} "
                    "(--no-workarounds to disable)")
        say(f"   wave {index}/{total}: {', '.join(st['stack_name'] for st in wave)}")
        return cli("deploy" if total == 1 else f"deploy-{index}",
                   ["deploy", *[st["display"] for st in wave], "--exclusively", "--require-approval", "never",
                    "--app", str(out_dir)], app_dir)

    def deploy() -> None:
        nonlocal deployed_attempted
        deployed_attempted = True
        offset = moto.log_offset()
        waves = [] if args.no_workarounds else deployment_waves(assembly)
        if len(waves) > 1:
            say(f"   ADAPTED FOR MOTO: deployed in {len(waves)} waves, each after the stacks whose Outputs it reads "
                "with Fn::GetStackOutput, whose values are written into its template (--no-workarounds to disable)")
            rc, out = 0, ""
            for i, wave in enumerate(waves, 1):
                rc, out_i = deploy_wave(wave, i, len(waves))
                out += out_i
                if rc != 0:
                    break
        else:
            rc, out = cli("deploy", ["deploy", "--all", "--require-approval", "never", "--app", str(out_dir)],
                          app_dir)
        report.emulator_errors = moto.errors_since(offset)
        if rc != 0:
            hint = ""
            if "XML parse error" in out:
                hint = ("\nhint: moto answered a CloudFormation call with another service's JSON error: creating a "
                        "resource raised inside ExecuteChangeSet (moto neither rolls back nor records it, so the stack "
                        "stays REVIEW_IN_PROGRESS). Replay the template from the cdk.out with boto3 create_change_set/"
                        "execute_change_set under moto to read the message.")
            raise StepFailed(f"cdk deploy exited {rc}: {cli_error(out)}{hint}\n{tail(out)}")
        if report.emulator_errors:
            raise StepFailed("the emulator failed internally (HTTP 500) while deploying, so what it reports as "
                             "deployed cannot be trusted:\n" + "\n".join(report.emulator_errors))

    def inspect() -> None:
        c = clients(moto)
        before = len(report.failures)
        inspect_stacks(report, assembly, c, moto)
        report.moto_warnings = moto.unsupported_types()
        inspect_endpoints(report, c)
        if len(report.failures) > before:
            loud("STACK DEPLOYMENT FAILED", report.failures[before:])
            raise _Quiet("stack(s) not in a successful state: " + "; ".join(report.failures[before:]))

    def smoke() -> None:
        before = len(report.failures)
        smoke_functions(report, args, assembly, clients(moto), moto, state_dir, cases)
        if len(report.failures) > before:  # each one was already shouted
            raise _Quiet(f"{len(report.failures) - before} smoke check(s) failed")

    def diff() -> None:
        rc, out = cli("diff", ["diff", "--app", str(out_dir), "--method", args.diff_method, "--fail"], app_dir)
        m = re.search(r"Number of stacks with differences:\s*(\d+)", out)
        count = int(m.group(1)) if m else None
        report.diff = {"exit_code": rc, "stacks_with_differences": count, "method": args.diff_method,
                       "output_tail": tail(out, 60)}
        if rc == 0 and count in (0, None):
            say("   no differences between the synthesized templates and what the emulator holds")
            return
        if count:
            raise StepFailed(f"cdk diff found differences in {count} stack(s) after deploying:\n{tail(out, 60)}")
        raise StepFailed(f"cdk diff exited {rc}:\n{tail(out)}")

    def destroy() -> None:
        if not deployed_attempted:
            say("   nothing was deployed")
            return
        target = ["--app", str(out_dir)] if (out_dir / "manifest.json").exists() else []
        rc, out = cli("destroy", ["destroy", "--all", "--force"] + target, app_dir)
        left = []
        cfn = clients(moto)("cloudformation")
        for st in assembly:
            try:
                s = cfn.describe_stacks(StackName=st["stack_name"])["Stacks"][0]
                if s["StackStatus"] != "DELETE_COMPLETE":
                    left.append(f"{st['stack_name']} ({s['StackStatus']})")
            except Exception:  # noqa: BLE001 - gone
                pass
        report.destroy = {"exit_code": rc, "stacks_left": left}
        quirk = known_destroy_quirk(out, report, clients(moto)) if rc != 0 else None
        if quirk:
            report.destroy["known_moto_quirk"] = quirk
            say(f"   WARNING: stack deletion not fully rehearsed: {quirk}")
            for st in report.stacks:
                st["not_rehearsed"].append({"logical_id": "-", "type": "stack deletion", "reason": quirk})
            return
        if (rc != 0 or left) and not report.ok:
            report.destroy["note"] = "after an earlier failure; the emulator is discarded anyway"
            say(f"   cdk destroy exited {rc} after an earlier failure (not counted; the emulator is discarded): "
                f"{cli_error(out) or tail(out, 3)}")
            return
        if rc != 0 or left:
            raise StepFailed(f"cdk destroy exited {rc}; stacks left: {left or 'none'}\n{tail(out)}")
        say(f"   destroyed: {', '.join(s['stack_name'] for s in assembly)}")

    exit_code = 0
    try:
        if step("start moto_server", start):
            step("cdk bootstrap", bootstrap)
            if step("cdk synth", synth):
                step("cdk deploy --all", deploy)
            if assembly and deployed_attempted:
                step("inspect stacks and endpoints", inspect, always=True)  # read-only: names the failed stack
                step("smoke-test deployed handlers", smoke)
                if not args.skip_diff:
                    step("cdk diff (expect no differences)", diff)
            if moto.proc is not None and moto.proc.poll() is None:
                step("cdk destroy --all", destroy, always=True)
    except KeyboardInterrupt:
        report.fail("interrupted")
        exit_code = 130
    except SystemExit as exc:
        report.fail(f"terminated by signal {int(exc.code or 0) - 128}")
        exit_code = int(exc.code or 1)
    finally:
        if runner is not None:
            runner.kill_current()
        moto.stop()
        say(f"\n-- moto_server stopped (pid {report.emulator.get('pid')})")
        report.wall_seconds = round(time.monotonic() - started, 1)
        if args.report:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(json.dumps(dataclasses.asdict(report), indent=2, default=str))
        summarize(report, args)
    if exit_code:
        return exit_code
    return 0 if report.ok else 1


def summarize(report: Report, args: argparse.Namespace) -> None:
    say("\n== Summary")
    for s in report.steps:
        state = {True: "ok", False: "FAILED", None: "skipped"}[s["ok"]]
        say(f"  {s['step']:<36} {state:<8} {s['seconds']:>6}s")
    skipped = sorted({r["type"] for st in report.stacks for r in st["not_rehearsed"] if r["reason"] != "stack failed"})
    if skipped:
        say(f"  not rehearsed by the emulator: {', '.join(skipped)}")
    smoke = [s for s in report.smoke]
    if smoke:
        counts = {k: sum(s.get("result") == k for s in smoke) for k in ("passed", "failed", "skipped")}
        say(f"  smoke checks: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    say(f"  wall time: {report.wall_seconds}s" + (f"; JSON report: {args.report}" if args.report else ""))
    if report.ok:
        say("REHEARSAL PASSED")
    else:
        loud("REHEARSAL FAILED", report.failures)


if __name__ == "__main__":
    sys.exit(main())
