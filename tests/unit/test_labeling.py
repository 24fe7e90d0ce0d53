"""LabelingWorkteam and LabelingJob: every prop and default in the template, bad props fail at construction with the
fix, the one-workforce-per-region warning, IAM scoping, and cdk-nag (AwsSolutions + Serverless) and cfn-lint clean."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration, aws_cognito as cognito, aws_events as events, aws_kms as kms, aws_lambda as lambda_, aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template

import support
from sagemaker_cdk import ArtifactBucket, LabelingJob, LabelingWorkteam, TaskType

TEAM_ARN = "arn:aws:sagemaker:eu-west-1:123456789012:workteam/private-crowd/reviewers"


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    app = support.new_app()
    stack = cdk.Stack(app, "Labeling")
    bucket = ArtifactBucket(stack, "Bucket")
    team = LabelingWorkteam(stack, "Team", workteam_name="annotators", domain_prefix="acme-labeling")
    second = LabelingWorkteam(stack, "Reviewers", user_pool=team.user_pool, user_pool_client=team.user_pool_client)
    job = LabelingJob(
        stack, "Images", bucket=bucket, workteam=team, task_type=TaskType.image_classification(),
        labels=["cat", "dog"], task_title="Cat or dog?", task_description="Pick the animal you see",
        task_keywords=["images", "animals"], automated_labeling=True, on_manifest=True,
        schedule=events.Schedule.rate(Duration.days(7)),
    )
    defaults = LabelingJob(
        stack, "Text", bucket=bucket, workteam=second, task_type=TaskType.named_entity_recognition(),
        labels=["person", "place"], task_title="Find names", task_description="Mark people and places",
    )
    # Another account and region: its OIDC workforce does not collide with the Cognito one above.
    other = cdk.Stack(app, "LabelingOidc", env=cdk.Environment(account="123456789012", region="us-west-2"))
    oidc = LabelingWorkteam(other, "Team", oidc_groups=["labelers"])
    imported_stack = cdk.Stack(app, "LabelingImported")
    ibucket = ArtifactBucket(imported_stack, "Bucket")
    code = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
    pre = lambda_.Function(imported_stack, "Pre", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                           code=code)
    post = lambda_.Function(imported_stack, "Post", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                            code=code)
    for fn in (pre, post):
        for rule in ("AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                     "AWSLambdaBasicExecutionRole]", "AwsSolutions-L1", "Serverless-LambdaDLQ",
                     "Serverless-LambdaTracing", "Serverless-LambdaLatestVersion", "Serverless-LambdaDefaultMemorySize",
                     "Serverless-LambdaDefaultTimeout",
                     *(f"{pack}-{r}" for pack in ("HIPAA.Security", "NIST.800.53.R5")
                       for r in ("LambdaDLQ", "LambdaConcurrency", "LambdaInsideVPC", "CloudWatchLogGroupEncrypted"))):
            cdk.Validations.of(fn).acknowledge(cdk.Acknowledgment(id=f"{rule.split('-')[0]}::{rule}",
                                                                  reason="Test fixture functions."))
    custom = LabelingJob(
        imported_stack, "Custom", bucket=ibucket, workteam=LabelingWorkteam.from_workteam_arn(imported_stack, "T",
                                                                                              TEAM_ARN),
        task_type=TaskType.custom(template="<crowd-form><crowd-input name='x'></crowd-input></crowd-form>",
                                  pre_annotation=pre, consolidation=post),
        task_title="Custom", task_description="A custom task", input_topic=sns.Topic(
            imported_stack, "In", enforce_ssl=True,
            master_key=kms.Key(imported_stack, "InKey", enable_key_rotation=True)),
        workers_per_object=5, task_time_limit=Duration.hours(8), task_availability=Duration.days(30),
        max_concurrent_tasks=5000,
    )
    assembly = support.synth_nag_clean(app)
    return {
        "app": app, "assembly": assembly, "stack": stack, "team": team, "second": second, "job": job,
        "defaults": defaults, "oidc": oidc, "custom": custom,
        "template": assembly.get_stack_by_name("Labeling").template,
        "oidc_template": assembly.get_stack_by_name("LabelingOidc").template,
        "custom_template": assembly.get_stack_by_name("LabelingImported").template,
    }


def _policy_statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    out = []
    for resource in template["Resources"].values():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        roles = json.dumps(resource["Properties"].get("Roles", []))
        if role_prefix in roles:
            out.extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return out


def test_templates_are_cfn_lint_clean(synthesized: dict[str, Any]) -> None:
    problems = [p for key in ("template", "oidc_template", "custom_template")
                for p in support.lint(synthesized[key], key)]
    assert problems == []


def test_user_pool_is_hardened(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["template"])
    template.resource_count_is("AWS::Cognito::UserPool", 1)
    template.has_resource("AWS::Cognito::UserPool", {
        "DeletionPolicy": "Retain",
        "Properties": Match.object_like({
            "MfaConfiguration": "ON",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
            "UserPoolTier": "PLUS",
            "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
            "AdminCreateUserConfig": Match.object_like({"AllowAdminCreateUserOnly": True}),
            "DeletionProtection": "ACTIVE",
            "Policies": {"PasswordPolicy": Match.object_like({
                "MinimumLength": 12, "RequireLowercase": True, "RequireUppercase": True, "RequireNumbers": True,
                "RequireSymbols": True})},
        }),
    })
    template.has_resource_properties("AWS::Cognito::UserPoolDomain", {"Domain": "acme-labeling"})


def test_app_client_is_configured_for_the_labeling_portal(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties("AWS::Cognito::UserPoolClient", {
        "GenerateSecret": True,
        "AllowedOAuthFlows": ["implicit", "code"],
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthScopes": ["email", "openid", "profile"],
        "SupportedIdentityProviders": ["COGNITO"],
        "PreventUserExistenceErrors": "ENABLED",
    })
    # After the workforce exists, the client is pointed at the portal (DescribeWorkforce -> UpdateUserPoolClient).
    calls = [json.dumps(r["Properties"]) for r in synthesized["template"]["Resources"].values()
             if r["Type"] == "Custom::AWS"]
    assert any("describeWorkforce" in c for c in calls)
    assert any("updateUserPoolClient" in c and "/oauth2/idpresponse" in c for c in calls)


def test_workteams_share_one_pool_with_a_group_each(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["template"])
    template.resource_count_is("AWS::Cognito::UserPoolGroup", 2)
    template.resource_count_is("AWS::SageMaker::Workteam", 2)
    template.has_resource_properties("AWS::SageMaker::Workteam", {
        "WorkteamName": "annotators",
        "Description": "Private labeling team annotators",
        "MemberDefinitions": [{"CognitoMemberDefinition": {
            "CognitoUserPool": Match.any_value(), "CognitoClientId": Match.any_value(),
            "CognitoUserGroup": Match.any_value()}}],
        "NotificationConfiguration": {"NotificationTopicArn": Match.any_value()},
    })
    assert synthesized["team"].creates_workforce and not synthesized["second"].creates_workforce
    assert synthesized["second"].workteam_name == "Labeling-Reviewers"


def test_notification_topic_is_encrypted_and_open_to_sagemaker_only(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties("AWS::SNS::TopicPolicy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Action": "sns:Publish", "Principal": {"Service": "sagemaker.amazonaws.com"},
                           "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}})])}})
    topics = [r for r in synthesized["template"]["Resources"].values() if r["Type"] == "AWS::SNS::Topic"]
    assert topics and all("KmsMasterKeyId" in t["Properties"] for t in topics)


def test_oidc_team_has_no_user_pool(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["oidc_template"])
    template.resource_count_is("AWS::Cognito::UserPool", 0)
    template.has_resource_properties("AWS::SageMaker::Workteam", {
        "MemberDefinitions": [{"OidcMemberDefinition": {"OidcGroups": ["labelers"]}}]})


def test_a_second_workforce_in_one_region_is_warned_about() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Two")
    LabelingWorkteam(stack, "First")
    LabelingWorkteam(stack, "Second")
    warnings = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("ONE private workforce"))
    assert [w.id for w in warnings] == ["/Two/Second"]
    app2 = support.new_app()
    s1 = cdk.Stack(app2, "A", env=cdk.Environment(account="111111111111", region="us-east-1"))
    s2 = cdk.Stack(app2, "B", env=cdk.Environment(account="111111111111", region="eu-west-1"))
    LabelingWorkteam(s1, "Team")
    LabelingWorkteam(s2, "Team")
    assert not Annotations.from_stack(s2).find_warning("*", Match.string_like_regexp("ONE private workforce"))


def test_imported_workteam() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Imp")
    team = LabelingWorkteam.from_workteam_arn(stack, "T", TEAM_ARN)
    assert team.workteam_arn == TEAM_ARN and team.workteam_name == "reviewers"
    with pytest.raises(ValueError, match="private work team ARN"):
        LabelingWorkteam.from_workteam_arn(stack, "Bad", "arn:aws:sagemaker:eu-west-1:123456789012:model/x")


def test_job_defaults(synthesized: dict[str, Any]) -> None:
    job: LabelingJob = synthesized["defaults"]
    assert job.job_name_prefix == "labeling-text"
    assert job.input_prefix == "labeling/labeling-text/input/"
    assert job.output_prefix == "labeling/labeling-text/output/"
    assert job.label_attribute_name == "label"
    request = job.labeling_request()
    human = request["HumanTaskConfig"]
    assert human["NumberOfHumanWorkersPerDataObject"] == 1
    assert human["TaskTimeLimitInSeconds"] == 300
    assert human["TaskAvailabilityLifetimeInSeconds"] == 86400
    assert "MaxConcurrentTaskCount" not in human and "TaskKeywords" not in human
    assert "LabelingJobAlgorithmsConfig" not in request and "StoppingConditions" not in request
    assert job.notification_topic is job.failure_topic
    assert job.rules == [] and job.volume_key is None
    assert job.metric_runs_failed().metric_name == "ExecutionsFailed"
    assert job.metric_runs_succeeded().metric_name == "ExecutionsSucceeded"
    assert job.label_category_config() == {"document-version": "2018-11-28",
                                           "labels": [{"label": "person"}, {"label": "place"}]}


def test_job_props_reach_the_request(synthesized: dict[str, Any]) -> None:
    job: LabelingJob = synthesized["job"]
    request = job.labeling_request()
    assert request["HumanTaskConfig"]["TaskKeywords"] == ["images", "animals"]
    assert request["LabelingJobAlgorithmsConfig"]["LabelingJobResourceConfig"]["VolumeKmsKeyId"]
    custom: LabelingJob = synthesized["custom"]
    human = custom.labeling_request()["HumanTaskConfig"]
    assert (human["NumberOfHumanWorkersPerDataObject"], human["TaskTimeLimitInSeconds"],
            human["TaskAvailabilityLifetimeInSeconds"], human["MaxConcurrentTaskCount"]) == (5, 28800, 2592000, 5000)


def test_worker_template_and_label_categories_are_uploaded(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties("Custom::CDKBucketDeployment", {
        "DestinationBucketKeyPrefix": "labeling/labeling-images/input/_labeling/"})
    text = TaskType.image_classification().worker_template('Cat "or" dog?')
    assert "crowd-image-classifier" in text and "crowd-html-elements.js" in text
    assert 'header="Cat &quot;or&quot; dog?"' in text and "grant_read_access" in text
    for factory in (TaskType.image_multi_label, TaskType.bounding_box, TaskType.semantic_segmentation,
                    TaskType.text_classification, TaskType.text_multi_label, TaskType.named_entity_recognition):
        assert "<crowd-form>" in factory().worker_template("x")
    assert "classification-target" in TaskType.text_classification().worker_template("x")


def test_labeling_role_reads_input_and_writes_output_only(synthesized: dict[str, Any]) -> None:
    statements = _policy_statements(synthesized["template"], "ImagesRole")
    text = json.dumps(statements)
    puts = [s for s in statements if "s3:PutObject" in json.dumps(s["Action"])]
    assert len(puts) == 1 and "labeling/labeling-images/output/*" in json.dumps(puts[0]["Resource"])
    gets = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert len(gets) == 1 and "input/*" in json.dumps(gets[0]) and "output/*" in json.dumps(gets[0])
    assert '"s3:*"' not in text and "sagemaker:*" not in text
    assert "kms:GrantIsForAWSResource" in text  # the active-learning volume key


def test_workflow_role_is_scoped_and_passes_the_role_to_sagemaker_only(synthesized: dict[str, Any]) -> None:
    statements = _policy_statements(synthesized["template"], "ImagesWorkflowRole")
    passes = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert passes and all(s["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
                          for s in passes)
    create = next(s for s in statements if "sagemaker:CreateLabelingJob" in s["Action"])
    assert "labeling-job/labeling-images-*" in json.dumps(create["Resource"])
    assert any("StepFunctionsGetEventsForSageMakerLabelingJobsRule" in json.dumps(s["Resource"]) for s in statements)


def test_triggers(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(7 days)"})
    template.has_resource_properties("AWS::Events::Rule", {"EventPattern": Match.object_like({
        "detail": {"bucket": {"name": Match.any_value()},
                   "object": {"key": [{"wildcard": "labeling/labeling-images/input/manifests/*.manifest"}]}}})})
    rule = next(r for r in synthesized["template"]["Resources"].values()
                if r["Type"] == "AWS::Events::Rule" and "EventPattern" in r["Properties"])
    assert '\\"encoded\\":true' in json.dumps(rule["Properties"]["Targets"][0]["InputTransformer"]) or \
        '"encoded":true' in json.dumps(rule["Properties"]["Targets"][0]["InputTransformer"])


def test_manifest_function_environment(synthesized: dict[str, Any]) -> None:
    template = Template.from_json(synthesized["template"])
    template.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({
        "INPUT_PREFIX": "labeling/labeling-images/input/",
        "MANIFEST_PREFIX": "labeling/labeling-images/input/_labeling/manifests/",
        "DATA_EXTENSIONS": ".jpg,.jpeg,.png", "MIN_OBJECTS": "1250", "SOURCE_FIELD": "source-ref"})}})
    template.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({
        "MIN_OBJECTS": "0", "SOURCE_FIELD": "source", "DATA_EXTENSIONS": ".txt"})}})


# -- bad props ---------------------------------------------------------------------------------------------------


def _try_job(**overrides: Any) -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "Bad")
    props: dict[str, Any] = dict(
        bucket=ArtifactBucket(stack, "Bucket"),
        workteam=LabelingWorkteam.from_workteam_arn(stack, "T", TEAM_ARN),
        task_type=TaskType.image_classification(),
        labels=["a", "b"], task_title="t", task_description="d",
    )
    props.update(overrides)
    LabelingJob(stack, "Job", **props)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"task_type": TaskType.image_multi_label(), "automated_labeling": True},
         "not available for ImageMultiClassMultiLabel.*image classification"),
        ({"task_type": TaskType.named_entity_recognition(), "automated_labeling": True},
         "not available for NamedEntityRecognition"),
        ({"workers_per_object": 0}, r"workers_per_object \(0\) must be between 1 and 9"),
        ({"workers_per_object": 10}, r"workers_per_object \(10\) must be between 1 and 9"),
        ({"task_time_limit": Duration.seconds(10)}, r"task_time_limit \(10 s\) must be between 30 s and 28800 s"),
        ({"task_time_limit": Duration.hours(9)}, "task_time_limit"),
        ({"task_availability": Duration.days(31)}, "task_availability"),
        ({"max_concurrent_tasks": 5001}, "max_concurrent_tasks"),
        ({"labels": []}, "needs label categories"),
        ({"labels": ["a", "a"]}, "duplicates"),
        ({"labels": ["only"]}, "at least two"),
        ({"task_title": "x" * 129}, "task_title .* 1 to 128"),
        ({"task_keywords": ["a", "b", "c", "d", "e", "f"]}, "at most 5"),
        ({"task_keywords": ["bad-keyword!"]}, "task_keywords\\[0\\]"),
        ({"label_attribute_name": "x-metadata"}, "-metadata"),
        ({"task_type": TaskType.semantic_segmentation(), "label_attribute_name": "mask"}, "must end with '-ref'"),
        ({"label_attribute_name": "label-ref"}, "must not end with '-ref'"),
        ({"initial_model_arn": "arn:aws:sagemaker:eu-west-1:123456789012:model/m"}, "without automated_labeling"),
        ({"automated_labeling": True, "initial_model_arn": "not-an-arn"}, "must be a model ARN"),
        ({"input_prefix": "data/", "output_prefix": "data/out/"}, "overlap"),
        ({"manifest_key": "elsewhere/m.manifest"}, "under the input prefix"),
        ({"job_name_prefix": "Has-Upper"}, "lower-case"),
        ({"max_percentage_labeled": 101}, "max_percentage_labeled"),
        ({"automated_labeling": True, "input_topic": "topic"}, "aws_sns.ITopic"),
    ],
)
def test_bad_props_fail_at_construction_with_the_fix(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        _try_job(**overrides)


@pytest.mark.parametrize(
    "overrides, error",
    [({"bucket": "my-bucket"}, TypeError), ({"workteam": TEAM_ARN}, TypeError),
     ({"task_type": "ImageMultiClass"}, TypeError), ({"automated_labeling": "yes"}, TypeError)],
)
def test_wrong_types_are_type_errors(overrides: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        _try_job(**overrides)


def test_streaming_rejects_automated_labeling() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "S")
    with pytest.raises(ValueError, match="streaming labeling jobs have no automated labeling"):
        LabelingJob(stack, "Job", bucket=ArtifactBucket(stack, "B"),
                    workteam=LabelingWorkteam.from_workteam_arn(stack, "T", TEAM_ARN),
                    task_type=TaskType.bounding_box(), labels=["a"], task_title="t", task_description="d",
                    automated_labeling=True, input_topic=sns.Topic(stack, "In"))


def test_region_without_ground_truth_is_rejected() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "R", env=cdk.Environment(account="123456789012", region="sa-east-1"))
    with pytest.raises(ValueError, match="no AWS pre-annotation function in sa-east-1"):
        LabelingJob(stack, "Job", bucket=ArtifactBucket(stack, "B"),
                    workteam=LabelingWorkteam.from_workteam_arn(stack, "T", TEAM_ARN),
                    task_type=TaskType.bounding_box(), labels=["a"], task_title="t", task_description="d")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"workteam_name": "bad name"}, "not a valid SageMaker name"),
        ({"oidc_groups": []}, "1 to 10 OIDC groups"),
        ({"oidc_groups": ["g"], "domain_prefix": "x"}, "OIDC team has no Cognito pool"),
        ({"domain_prefix": "my-aws-team"}, "without 'aws'"),
        ({"domain_prefix": "Upper"}, "lower-case"),
        ({"description": "x" * 201}, "1 to 200"),
        ({"user_pool_client": "client"}, "aws_cognito.IUserPoolClient"),
    ],
)
def test_bad_workteam_props(kwargs: dict[str, Any], message: str) -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "W")
    with pytest.raises((ValueError, TypeError), match=message):
        LabelingWorkteam(stack, "Team", **kwargs)


def test_custom_task_type_needs_a_crowd_form() -> None:
    app = support.new_app()
    stack = cdk.Stack(app, "C")
    fn = lambda_.Function(stack, "F", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                          code=lambda_.Code.from_inline("x=1"))
    with pytest.raises(ValueError, match="crowd-form"):
        TaskType.custom(template="<div></div>", pre_annotation=fn, consolidation=fn)
    with pytest.raises(TypeError, match="aws_lambda.IFunction"):
        TaskType.custom(template="<crowd-form/>", pre_annotation="arn", consolidation=fn)
    with pytest.raises(ValueError, match="HumanTaskUi ARN"):
        TaskType.image_classification(human_task_ui_arn="nope")
    assert TaskType.image_classification(
        human_task_ui_arn="arn:aws:sagemaker:us-east-1:123456789012:human-task-ui/x").worker_template("t") is None
    assert cognito  # imported for the fixture's types


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workers=st.integers(-5, 15), minutes=st.integers(0, 600))
def test_workers_and_time_limit_are_accepted_exactly_in_range(workers: int, minutes: int) -> None:
    valid = 1 <= workers <= 9 and 30 <= minutes * 60 <= 8 * 3600
    try:
        _try_job(workers_per_object=workers, task_time_limit=Duration.minutes(minutes))
    except ValueError as err:
        assert not valid, err
        assert "workers_per_object" in str(err) or "task_time_limit" in str(err)
    else:
        assert valid
