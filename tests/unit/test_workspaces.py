"""Workspaces: NotebookInstance, CodeRepository, StudioDomain, UserProfile, SharedSpace, StudioLifecycleConfig.

Two stacks are synthesized once per module (nag-clean with the gating packs, and cfn-lint clean): one with every
default, one with every optional prop set. Bad props are checked at construction, without synthesis.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2, aws_iam as iam, aws_secretsmanager as secretsmanager

import support
from sagemaker_cdk import (
    ArtifactBucket,
    CodeRepository,
    ModelNetwork,
    NotebookInstance,
    SharedSpace,
    StudioDomain,
    StudioLifecycleConfig,
    UserProfile,
)
from sagemaker_cdk.workspaces.notebook_instance import render_on_start_script


# ------------------------------------------------------------------------------------------------ synthesized stacks
def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    [resource] = _resources(template, kind).values()
    return resource.get("Properties", {})


_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")  # inline, or customer-managed per role


def _policies(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: r for kind in _POLICY_TYPES for k, r in _resources(template, kind).items()}


def _statements(template: dict[str, Any], policy_prefix: str) -> list[dict[str, Any]]:
    found = []
    for logical_id, policy in _policies(template).items():
        if logical_id.startswith(policy_prefix):
            found += policy["Properties"]["PolicyDocument"]["Statement"]
    return found


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    app = support.new_app()
    stack = cdk.Stack(app, "Ws")
    bucket = ArtifactBucket(stack, "Bucket")
    NotebookInstance(stack, "Notebook", bucket=bucket)
    studio = StudioDomain(stack, "Studio", bucket=bucket)
    alice = studio.add_user_profile("Alice", user_profile_name="alice")
    studio.add_user_profile("Bob", user_profile_name="bob", persona="mlops")
    studio.add_shared_space("Team", space_name="team", owner=alice)
    template = support.synth_nag_clean(app).get_stack_by_name("Ws").template
    assert support.lint(template, "defaults") == []
    return template


@pytest.fixture(scope="module")
def custom() -> dict[str, Any]:
    app = support.new_app()
    stack = cdk.Stack(app, "Custom")
    bucket = ArtifactBucket(stack, "Bucket")
    network = ModelNetwork(stack, "Net", interface_endpoints=False)
    # A Git host's token is stored out of band (never as a plaintext value in a template): imported by ARN.
    secret = secretsmanager.Secret.from_secret_complete_arn(
        stack, "GitToken", "arn:aws:secretsmanager:us-east-1:111122223333:secret:git-token-AbCdEf"
    )
    repo = CodeRepository(stack, "Repo", repository_url="https://github.com/example/ml.git", branch="main",
                          credentials=secret)
    NotebookInstance(
        stack,
        "Notebook",
        instance_type="ml.m5.xlarge",
        network=network,
        bucket=bucket,
        bucket_prefixes=["team-a/"],
        read_only_prefixes=["datasets/"],
        idle_minutes=None,
        pip_index_url="https://example.d.codeartifact.us-east-1.amazonaws.com/pypi/ml/simple/",
        packages=["pandas==2.2.3", "scikit-learn>=1.5"],
        volume_size_gb=50,
        root_access=True,
        direct_internet_access=True,
        platform_identifier="notebook-al2-v3",
        default_code_repository=repo,
        additional_code_repositories=["https://github.com/example/public.git"],
        notebook_instance_name="team-a-notebook",
    )
    startup = StudioLifecycleConfig(stack, "Startup", app_type="JupyterLab", script="#!/bin/bash\necho hi\n",
                                    default=True)
    editor = StudioLifecycleConfig(stack, "EditorStartup", app_type="CodeEditor", script="#!/bin/bash\ntrue\n",
                                   name="editor-startup")
    studio = StudioDomain(
        stack,
        "Studio",
        bucket=bucket,
        bucket_prefixes=["studio/", "shared/"],
        network=network,
        domain_name="team-a",
        auth_mode="SSO",
        default_persona="mlops",
        idle_minutes=120,
        default_ebs_size_gb=10,
        max_ebs_size_gb=200,
        lifecycle_configs=[startup, editor],
        teardown=False,
    )
    own_role = iam.Role(stack, "CarolRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    carol = UserProfile(stack, "Carol", domain=studio, user_profile_name="carol", role=own_role,
                        single_sign_on_user_value="carol@example.com")
    SharedSpace(stack, "Editor", domain=studio, space_name="editor", owner=carol, app_type="CodeEditor",
                ebs_size_gb=150, instance_type="ml.m5.large", display_name="Team editor")
    template = support.synth_nag_clean(app).get_stack_by_name("Custom").template
    assert support.lint(template, "custom") == []
    return template


# ------------------------------------------------------------------------------------------------ notebook defaults
def test_notebook_secure_defaults(defaults: dict[str, Any]) -> None:
    notebook = _one(defaults, "AWS::SageMaker::NotebookInstance")
    assert notebook["DirectInternetAccess"] == "Disabled"
    assert notebook["RootAccess"] == "Disabled"
    assert notebook["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert notebook["PlatformIdentifier"] == "notebook-al2023-v1"
    assert notebook["InstanceType"] == "ml.t3.medium" and notebook["VolumeSizeInGB"] == 20
    assert "Ref" in notebook["KmsKeyId"] and "Ref" in notebook["SubnetId"]
    assert notebook["NotebookInstanceName"] == notebook["NotebookInstanceName"].lower()


def test_notebook_security_group_has_no_ingress_and_https_egress_only(defaults: dict[str, Any]) -> None:
    [group] = [g["Properties"] for k, g in _resources(defaults, "AWS::EC2::SecurityGroup").items()
               if k.startswith("NotebookSecurityGroup")]
    assert "SecurityGroupIngress" not in group
    assert [(e["IpProtocol"], e["FromPort"], e["ToPort"]) for e in group["SecurityGroupEgress"]] == [("tcp", 443, 443)]


def test_workspace_endpoints_are_added_once_for_notebook_and_studio(defaults: dict[str, Any]) -> None:
    services = sorted(
        json.dumps(e["Properties"]["ServiceName"]) for e in _resources(defaults, "AWS::EC2::VPCEndpoint").values()
    )
    for name in ("sagemaker.api", "sagemaker.runtime", ".sts", "ecr.api", "ecr.dkr", ".logs", ".s3"):
        assert sum(name in s for s in services) == 1, (name, services)


def test_notebook_role_stops_only_its_own_instance(defaults: dict[str, Any]) -> None:
    name = _one(defaults, "AWS::SageMaker::NotebookInstance")["NotebookInstanceName"]
    [stop] = [s for s in _statements(defaults, "NotebookRole") if s.get("Sid") == "StopOnlyThisNotebookWhenIdle"]
    assert json.dumps(stop["Resource"]).endswith(f':notebook-instance/{name}"]]}}')


def test_on_start_script_stops_after_60_idle_minutes(defaults: dict[str, Any]) -> None:
    config = _one(defaults, "AWS::SageMaker::NotebookInstanceLifecycleConfig")
    script = config["OnStart"][0]["Content"]["Fn::Base64"]  # CloudFormation encodes it
    assert 'IDLE_MINUTES="60"' in script and "stop-notebook-instance" in script
    assert 'PACKAGES=""' in script and "__" not in script.replace("__main__", "")


def test_no_role_has_sagemaker_full_access_or_a_star_action(defaults: dict[str, Any], custom: dict[str, Any]) -> None:
    for template in (defaults, custom):
        assert "AmazonSageMakerFullAccess" not in json.dumps(template)
        for policy in _policies(template).values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any(a == "*" or a.endswith(":*") for a in actions), statement


# ------------------------------------------------------------------------------------------------ notebook custom
def test_notebook_every_optional_prop_reaches_the_template(custom: dict[str, Any]) -> None:
    notebook = _one(custom, "AWS::SageMaker::NotebookInstance")
    assert notebook["InstanceType"] == "ml.m5.xlarge" and notebook["VolumeSizeInGB"] == 50
    assert (notebook["RootAccess"], notebook["DirectInternetAccess"]) == ("Enabled", "Enabled")
    assert notebook["PlatformIdentifier"] == "notebook-al2-v3"
    assert notebook["NotebookInstanceName"] == "team-a-notebook"
    assert "Fn::GetAtt" in notebook["DefaultCodeRepository"]
    assert notebook["AdditionalCodeRepositories"] == ["https://github.com/example/public.git"]
    script = _one(custom, "AWS::SageMaker::NotebookInstanceLifecycleConfig")["OnStart"][0]["Content"]["Fn::Base64"]
    assert 'IDLE_MINUTES="0"' in script
    assert 'PACKAGES="pandas==2.2.3 scikit-learn>=1.5"' in script
    assert "codeartifact.us-east-1.amazonaws.com/pypi/ml/simple/" in script


def test_code_repository_uses_the_secret_and_the_role_may_read_it(custom: dict[str, Any]) -> None:
    repo = _one(custom, "AWS::SageMaker::CodeRepository")
    assert repo["GitConfig"]["Branch"] == "main" and repo["GitConfig"]["SecretArn"].endswith(":secret:git-token-AbCdEf")
    assert "secretsmanager:GetSecretValue" in _actions(_statements(custom, "NotebookRole"))


def test_notebook_reads_only_its_read_only_prefixes(custom: dict[str, Any]) -> None:
    text = json.dumps(_statements(custom, "NotebookRole"))
    assert "/team-a/*" in text and "/datasets/*" in text


# ------------------------------------------------------------------------------------------------ studio defaults
def test_studio_domain_defaults(defaults: dict[str, Any]) -> None:
    domain = _one(defaults, "AWS::SageMaker::Domain")
    assert (domain["AppNetworkAccessType"], domain["AuthMode"]) == ("VpcOnly", "IAM")
    assert len(domain["SubnetIds"]) == 2 and "Fn::GetAtt" in domain["KmsKeyId"]
    settings = domain["DefaultUserSettings"]
    assert settings["StudioWebPortal"] == "ENABLED" and settings["DefaultLandingUri"] == "studio::"
    for app in ("JupyterLabAppSettings", "CodeEditorAppSettings"):
        assert settings[app]["AppLifecycleManagement"]["IdleSettings"] == {
            "LifecycleManagement": "ENABLED",
            "IdleTimeoutInMinutes": 60,
            "MinIdleTimeoutInMinutes": 60,
            "MaxIdleTimeoutInMinutes": 60,
        }
    assert settings["SpaceStorageSettings"]["DefaultEbsStorageSettings"] == {
        "DefaultEbsVolumeSizeInGb": 5, "MaximumEbsVolumeSizeInGb": 100}
    assert "StudioDataScientistRole" in json.dumps(settings["ExecutionRole"])
    assert "HomeEfsFileSystemId" in json.dumps(defaults["Outputs"])


def test_studio_security_group_allows_only_intra_group_nfs_and_app_ports(defaults: dict[str, Any]) -> None:
    ingress = [r["Properties"] for r in _resources(defaults, "AWS::EC2::SecurityGroupIngress").values()
               if "StudioSecurityGroup" in json.dumps(r["Properties"]["GroupId"])]
    assert sorted((r["FromPort"], r["ToPort"]) for r in ingress) == [(2049, 2049), (8192, 65535)]
    for rule in ingress:
        assert "StudioSecurityGroup" in json.dumps(rule["SourceSecurityGroupId"])
    [group] = [g["Properties"] for k, g in _resources(defaults, "AWS::EC2::SecurityGroup").items()
               if k.startswith("StudioSecurityGroup")]
    assert "SecurityGroupIngress" not in group
    assert [(e["FromPort"], e["CidrIp"]) for e in group["SecurityGroupEgress"]] == [(443, "0.0.0.0/0")]


def test_personas(defaults: dict[str, Any]) -> None:
    scientist = _statements(defaults, "StudioDataScientistRole")
    mlops = _statements(defaults, "StudioMlopsRole")
    for actions in (_actions(scientist), _actions(mlops)):
        assert {"sagemaker:CreateApp", "sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob",
                "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeModelPackage"} <= actions
    assert "sagemaker:CreateEndpoint" not in _actions(scientist)
    assert {"sagemaker:CreateEndpoint", "sagemaker:CreateModel", "sagemaker:UpdateModelPackage"} <= _actions(mlops)
    for statements in (scientist, mlops):
        [pass_role] = [s for s in statements if s["Action"] == "iam:PassRole"]
        assert "StudioJobRole" in json.dumps(pass_role["Resource"])
        assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        for statement in statements:
            if statement["Resource"] == "*":
                assert all(a.split(":")[1].startswith(("List", "Describe", "GetAuthorizationToken"))
                           for a in _actions([statement])), statement
        apps = [s for s in statements if s.get("Sid") == "StudioAppsOfThisDomain"][0]
        assert "DomainId" in json.dumps(apps["Resource"])


def test_teardown_runs_before_profiles_and_spaces_with_exact_iam(defaults: dict[str, Any]) -> None:
    [(_, teardown)] = _resources(defaults, "Custom::StudioTeardown").items()
    profiles = set(_resources(defaults, "AWS::SageMaker::UserProfile"))
    spaces = set(_resources(defaults, "AWS::SageMaker::Space"))
    assert profiles | spaces <= set(teardown["DependsOn"])
    assert teardown["Properties"]["KeepSpaces"] == ["team"]
    assert teardown["Properties"]["TimeoutSeconds"] == "2700"
    statements = _statements(defaults, "StudioTeardownRole")
    assert _actions(statements) >= {"sagemaker:DeleteApp", "sagemaker:DeleteSpace", "sagemaker:ListApps",
                                    "sagemaker:ListSpaces", "sagemaker:DescribeDomain"}
    by_sid = {s.get("Sid"): s for s in statements}
    assert ":app/" in json.dumps(by_sid["DeleteAppsOfThisDomain"]["Resource"])
    assert ":space/" in json.dumps(by_sid["DeleteSpacesOfThisDomain"]["Resource"])
    # Provider framework: 30 s polls, total timeout 45 + 10 minutes (the handler's own message fires first).
    [machine] = _resources(defaults, "AWS::StepFunctions::StateMachine").values()
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    assert '\\"IntervalSeconds\\":30' in definition and '\\"MaxAttempts\\":110' in definition


def test_shared_space_defaults(defaults: dict[str, Any]) -> None:
    space = _one(defaults, "AWS::SageMaker::Space")
    assert space["SpaceSharingSettings"] == {"SharingType": "Shared"}
    assert space["OwnershipSettings"] == {"OwnerUserProfileName": "alice"}
    assert space["SpaceSettings"]["AppType"] == "JupyterLab"
    assert space["SpaceSettings"]["SpaceStorageSettings"] == {"EbsStorageSettings": {"EbsVolumeSizeInGb": 10}}


# ------------------------------------------------------------------------------------------------ studio custom
def test_studio_every_optional_prop_reaches_the_template(custom: dict[str, Any]) -> None:
    domain = _one(custom, "AWS::SageMaker::Domain")
    assert domain["DomainName"] == "team-a" and domain["AuthMode"] == "SSO"
    settings = domain["DefaultUserSettings"]
    assert "StudioMlopsRole" in json.dumps(settings["ExecutionRole"])
    lab = settings["JupyterLabAppSettings"]
    assert lab["AppLifecycleManagement"]["IdleSettings"]["IdleTimeoutInMinutes"] == 120
    assert "Startup" in json.dumps(lab["DefaultResourceSpec"]) and len(lab["LifecycleConfigArns"]) == 1
    assert "EditorStartup" in json.dumps(settings["CodeEditorAppSettings"]["LifecycleConfigArns"])
    assert settings["SpaceStorageSettings"]["DefaultEbsStorageSettings"]["MaximumEbsVolumeSizeInGb"] == 200
    assert _resources(custom, "Custom::StudioTeardown") == {}
    configs = _resources(custom, "AWS::SageMaker::StudioLifecycleConfig").values()
    assert sorted(c["Properties"]["StudioLifecycleConfigAppType"] for c in configs) == ["CodeEditor", "JupyterLab"]
    assert base64.b64decode(
        [c for c in configs if c["Properties"]["StudioLifecycleConfigAppType"] == "JupyterLab"][0]["Properties"][
            "StudioLifecycleConfigContent"]
    ) == b"#!/bin/bash\necho hi\n"
    profile = _one(custom, "AWS::SageMaker::UserProfile")
    assert profile["SingleSignOnUserValue"] == "carol@example.com"
    assert "CarolRole" in json.dumps(profile["UserSettings"]["ExecutionRole"])
    space = _one(custom, "AWS::SageMaker::Space")
    assert space["SpaceSettings"]["AppType"] == "CodeEditor" and space["SpaceDisplayName"] == "Team editor"
    assert space["SpaceSettings"]["CodeEditorAppSettings"]["DefaultResourceSpec"]["InstanceType"] == "ml.m5.large"


# ------------------------------------------------------------------------------------------------ lifecycle scripts
@pytest.mark.parametrize(
    "values",
    [
        {"idle_minutes": 60, "pip_index_url": "", "packages": []},
        {"idle_minutes": 0, "pip_index_url": "https://pypi.example.com/simple/", "packages": ["numpy==2.1.0"]},
    ],
)
def test_lifecycle_scripts_pass_bash_n_and_shellcheck(values: dict[str, Any], tmp_path: Any) -> None:
    script = tmp_path / "on_start.sh"
    script.write_text(render_on_start_script(**values))
    from sagemaker_cdk.workspaces.notebook_instance import SCRIPTS

    files = [script, SCRIPTS / "notebook_autostop.sh", SCRIPTS / "notebook_on_start.sh"]
    for path in files:
        subprocess.run(["bash", "-n", str(path)], check=True)
    if shutil.which("shellcheck") is None:
        if os.environ.get("CI"):
            pytest.fail("shellcheck is not installed: .ci/run installs it (apt-get install -y shellcheck)")
        pytest.skip("shellcheck is not installed (apt-get install -y shellcheck)")
    result = subprocess.run(["shellcheck", *map(str, files)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# ------------------------------------------------------------------------------------------------ bad props
@pytest.fixture
def scope() -> tuple[cdk.Stack, ArtifactBucket]:
    stack = cdk.Stack(support.new_app(), "Bad")
    return stack, ArtifactBucket(stack, "Bucket")


def test_direct_internet_access_without_a_network(scope: Any) -> None:
    stack, bucket = scope
    with pytest.raises(ValueError, match=r"direct_internet_access=True without a network: pass network=ModelNetwork"):
        NotebookInstance(stack, "N", bucket=bucket, direct_internet_access=True)


@pytest.mark.parametrize("minutes", [0, 4, 1441])
def test_notebook_idle_minutes_out_of_range(scope: Any, minutes: int) -> None:
    stack, bucket = scope
    with pytest.raises(ValueError, match=rf"idle_minutes \({minutes}\) must be between 5 and 1440"):
        NotebookInstance(stack, "N", bucket=bucket, idle_minutes=minutes)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"volume_size_gb": 4}, r"volume_size_gb \(4\) must be between 5 and 16384"),
        ({"platform_identifier": "notebook-al3-v1"}, r"platform_identifier \('notebook-al3-v1'\) is not supported: "
                                                     r"use one of 'notebook-al2023-v1'"),
        ({"packages": ["pandas"]}, r"no pip_index_url: set pip_index_url to your private index"),
        ({"packages": ["pandas; rm -rf /"], "pip_index_url": "https://x.example/simple/"},
         r"packages entry 'pandas; rm -rf /' is not a plain requirement"),
        ({"pip_index_url": "http://x.example/simple/"}, r"pip_index_url \('http://x.example/simple/'\) must be an "
                                                        r"https:// URL"),
        ({"additional_code_repositories": ["https://a.example/r"] * 4}, r"SageMaker allows at most 3"),
        ({"notebook_instance_name": "Team_A"}, r"notebook_instance_name \('Team_A'\) must be at most 63 lower-case"),
        ({"instance_type": "t3.medium"}, r"instance_type \('t3.medium'\) is not an ML instance type"),
        ({"bucket_prefixes": ["/abs/"]}, r"bucket_prefixes entry '/abs/' must be a non-empty key prefix"),
    ],
)
def test_notebook_bad_props(scope: Any, props: dict[str, Any], message: str) -> None:
    stack, bucket = scope
    with pytest.raises(ValueError, match=message):
        NotebookInstance(stack, "N", bucket=bucket, **props)


def test_notebook_wrong_types_are_type_errors(scope: Any) -> None:
    stack, bucket = scope
    with pytest.raises(TypeError, match=r"instance_type must be a string, got int 5"):
        NotebookInstance(stack, "N", bucket=bucket, instance_type=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"bucket must be an? (sagemaker_cdk\.)?ArtifactBucket"):
        NotebookInstance(stack, "M", bucket="my-bucket")  # type: ignore[arg-type]


def test_code_repository_bad_props(scope: Any) -> None:
    stack, _ = scope
    with pytest.raises(ValueError, match=r"repository_url \('git@github.com:a/b.git'\) must be an https:// clone URL"):
        CodeRepository(stack, "R", repository_url="git@github.com:a/b.git")
    with pytest.raises(ValueError, match=r"branch \('my branch'\) is not a valid Git branch name"):
        CodeRepository(stack, "S", repository_url="https://github.com/a/b.git", branch="my branch")


@pytest.mark.parametrize("minutes", [59, 525601])
def test_studio_idle_minutes_outside_the_schema_range(scope: Any, minutes: int) -> None:
    stack, bucket = scope
    with pytest.raises(ValueError, match=rf"idle_minutes \({minutes}\) must be between 60 and 525600"):
        StudioDomain(stack, "S", bucket=bucket, idle_minutes=minutes)


def test_vpc_only_domain_needs_two_availability_zones(scope: Any) -> None:
    stack, bucket = scope
    vpc = ec2.Vpc(stack, "OneAz", max_azs=1, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    with pytest.raises(ValueError, match=r"select subnets in at least two Availability\s+Zones"):
        StudioDomain(stack, "S", bucket=bucket, network=ModelNetwork(stack, "Net", vpc=vpc))


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"auth_mode": "OIDC"}, r"auth_mode \('OIDC'\) is not supported: use one of 'IAM', 'SSO'"),
        ({"home_efs_retention": cdk.RemovalPolicy.DESTROY}, r"home_efs_retention .* is not supported: "
                                                            r"AWS::SageMaker::Domain has no property"),
        ({"default_ebs_size_gb": 50, "max_ebs_size_gb": 20}, r"default_ebs_size_gb \(50\) exceeds max_ebs_size_gb"),
        ({"teardown_timeout": cdk.Duration.minutes(10)}, r"teardown_timeout \(10 minutes\) must be between 25 and"),
        ({"domain_name": "team a"}, r"domain_name \('team a'\) must be at most 63"),
        ({"bucket_prefixes": []}, r"bucket_prefixes must be a non-empty list"),
    ],
)
def test_studio_bad_props(scope: Any, props: dict[str, Any], message: str) -> None:
    stack, bucket = scope
    with pytest.raises(ValueError, match=message):
        StudioDomain(stack, "S", bucket=bucket, **props)


def test_user_profile_and_space_bad_props(scope: Any) -> None:
    stack, bucket = scope
    studio = StudioDomain(stack, "S", bucket=bucket, teardown=False)
    role = iam.Role(stack, "R", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    with pytest.raises(ValueError, match=r"persona \('admin'\) is not supported: use one of 'data-scientist', 'mlops'"):
        studio.add_user_profile("U0", user_profile_name="u0", persona="admin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"persona and role are both set"):
        studio.add_user_profile("U1", user_profile_name="u1", persona="mlops", role=role)
    with pytest.raises(ValueError, match=r"single_sign_on_user_value is only for auth_mode='SSO'"):
        studio.add_user_profile("U2", user_profile_name="u2", single_sign_on_user_value="u2")
    with pytest.raises(ValueError, match=r"user_profile_name \('jane_doe'\) must be at most 63"):
        studio.add_user_profile("U3", user_profile_name="jane_doe")
    owner = studio.add_user_profile("Owner", user_profile_name="owner")
    with pytest.raises(ValueError, match=r"app_type \('RStudio'\) is not supported"):
        studio.add_shared_space("Sp1", space_name="sp1", owner=owner, app_type="RStudio")
    with pytest.raises(ValueError, match=r"ebs_size_gb \(200\) must be between 5 and 100"):
        studio.add_shared_space("Sp2", space_name="sp2", owner=owner, ebs_size_gb=200)
    with pytest.raises(TypeError, match=r"owner must be a (sagemaker_cdk\.)?UserProfile"):
        studio.add_shared_space("Sp3", space_name="sp3", owner="owner")  # type: ignore[arg-type]
    sso = StudioDomain(stack, "Sso", bucket=bucket, auth_mode="SSO", teardown=False)
    with pytest.raises(ValueError, match=r"set single_sign_on_user_value to the user's Identity Center user name"):
        sso.add_user_profile("U4", user_profile_name="u4")
    with pytest.raises(ValueError, match=r"belongs to another domain"):
        SharedSpace(stack, "Sp4", domain=sso, space_name="sp4", owner=owner)


def test_studio_lifecycle_config_bad_props(scope: Any) -> None:
    stack, _ = scope
    with pytest.raises(ValueError, match=r"app_type \('KernelGateway'\) is not supported: use one of 'JupyterLab'"):
        StudioLifecycleConfig(stack, "L1", app_type="KernelGateway", script="true")
    with pytest.raises(ValueError, match=r"script is 16388 characters once base64-encoded, over SageMaker's 16384"):
        StudioLifecycleConfig(stack, "L2", app_type="JupyterLab", script="x" * 12289)
    with pytest.raises(ValueError, match=r"script is empty"):
        StudioLifecycleConfig(stack, "L3", app_type="JupyterLab", script="  ")


# ------------------------------------------------------------------------------------------------ properties
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(notebook=st.one_of(st.none(), st.integers(-10, 2000)), studio=st.integers(0, 600000))
def test_idle_minutes_either_build_or_fail_naming_the_prop_and_range(notebook: int | None, studio: int) -> None:
    stack = cdk.Stack(support.new_app(), "Idle")
    bucket = ArtifactBucket(stack, "Bucket")
    if notebook is None or 5 <= notebook <= 1440:
        NotebookInstance(stack, "N", bucket=bucket, idle_minutes=notebook)
    else:
        with pytest.raises(ValueError, match=rf"idle_minutes \({notebook}\) must be between 5 and 1440"):
            NotebookInstance(stack, "N", bucket=bucket, idle_minutes=notebook)
    if 60 <= studio <= 525600:
        StudioDomain(stack, "S", bucket=bucket, idle_minutes=studio, teardown=False)
    else:
        with pytest.raises(ValueError, match=rf"idle_minutes \({studio}\) must be between 60 and 525600"):
            StudioDomain(stack, "S", bucket=bucket, idle_minutes=studio, teardown=False)


def test_workspace_endpoints_leave_a_vpc_passed_in_alone(scope: Any) -> None:
    stack, _ = scope
    vpc = ec2.Vpc(stack, "Theirs", max_azs=2, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="p", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    network = ModelNetwork(stack, "Net", vpc=vpc)
    assert network.add_workspace_endpoints() == []
    own = ModelNetwork(stack, "Own", interface_endpoints=False)
    first = [e.node.path for e in own.add_workspace_endpoints()]
    assert len(first) == 6 and [e.node.path for e in own.add_workspace_endpoints()] == first  # idempotent


def test_job_role_pulls_images_of_this_region_only(defaults: dict[str, Any]) -> None:
    [pull] = [s for s in _statements(defaults, "StudioJobRole") if s.get("Sid") == "PullImages"]
    assert pull["Resource"] == {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ecr:", {"Ref": "AWS::Region"},
                                                  ":*:repository/*"]]}


def test_teardown_timeout_bounds(scope: Any) -> None:
    from sagemaker_cdk import StudioTeardown

    stack, _ = scope
    with pytest.raises(ValueError, match=r"timeout \(7200 seconds\) must be positive and at most 110 minutes"):
        StudioTeardown(stack, "T", domain_id="d-abc", domain_arn="arn:aws:sagemaker:us-east-1:1:domain/d-abc",
                       timeout=cdk.Duration.hours(2))
    with pytest.raises(TypeError, match=r"timeout must be an aws_cdk.Duration, got (int )?600"):
        StudioTeardown(stack, "U", domain_id="d-abc", domain_arn="arn:aws:sagemaker:us-east-1:1:domain/d-abc",
                       timeout=600)  # type: ignore[arg-type]
