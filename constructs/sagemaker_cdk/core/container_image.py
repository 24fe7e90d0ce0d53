"""ContainerImage: the inference image of a model, and the ECR pull grants its role needs.

Four sources:
- `ContainerImage.from_ecr_repository(repo, tag)`: an image in your ECR repository.
- `ContainerImage.from_asset(directory)`: a local Dockerfile directory, built and pushed by `cdk deploy`.
- `ContainerImage.built_in(algorithm, version)`: a SageMaker built-in algorithm image. The registry account differs
  per region, so the image URI is resolved at deploy time through a CfnMapping over every commercial region
  (generated data: `sagemaker_cdk/data/image_registry.json`, see scripts/generate_image_registry.py).
- `ContainerImage.from_model_package(arn)`: an AWS Marketplace model package. It forces network isolation on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, CfnMapping, Fn, Stack, aws_ecr as ecr, aws_ecr_assets as ecr_assets, aws_iam as iam
from constructs import Construct

from ._types import typed
from . import image_registry
from ._validation import PropErrors, is_token

_MODEL_PACKAGE_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package/[A-Za-z0-9-]{1,63}(/\d+)?$")
# botocore's ecr service model, shape RepositoryName (min 2, max 256).
_ECR_REPOSITORY_NAME = re.compile(r"[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*")
_ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]


@dataclass(frozen=True)
class BoundImage:
    """What a Model renders for its container."""

    image_uri: str | None = None
    model_package_name: str | None = None
    requires_network_isolation: bool = False
    algorithm: str | None = None
    accelerator: str | None = None  # "inferentia" or "gpu" when the image only runs on such instances


class ContainerImage:
    """An inference container image. Create one with the static factories."""

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundImage:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def requires_model_data(self) -> bool:
        """True when the image cannot serve without a model artifact (built-in algorithms and Neo images)."""
        return False

    def describe(self) -> str:
        """The image in words, for error messages."""
        return "the image"

    @staticmethod
    @typed
    def from_ecr_repository(repository: ecr.IRepository | str, tag: str = "latest") -> "ContainerImage":
        """An image in an ECR repository. The role may pull from this repository only.

        repository: an `ecr.IRepository`, or the name of a repository in the stack's account and region (e.g.
            "my-team/fraud-model"), imported with `ecr.Repository.from_repository_name` when a model binds it.
        tag: the image tag or a digest ("sha256:..."). Default: "latest" (pin a tag or digest in production).
        """
        errors = PropErrors("ContainerImage.from_ecr_repository")
        if isinstance(repository, str) and not is_token(repository):
            errors.check(
                2 <= len(repository) <= 256 and bool(_ECR_REPOSITORY_NAME.fullmatch(repository))
                and ".dkr.ecr." not in repository,
                f"repository ({repository!r}) is not an ECR repository name: use lower-case letters, digits, "
                "'.', '_', '-' and '/' separated namespaces, 2 to 256 characters, e.g. 'my-team/fraud-model' "
                "(give the name, not the URI or ARN)",
            )
        if not is_token(tag) and errors.expect_type("tag", tag, str, "a tag string or 'sha256:...' digest"):
            errors.check(bool(tag), "tag ('') must not be empty: give an image tag or a sha256 digest")
        errors.raise_if_any()
        return _EcrImage(repository, tag)

    @staticmethod
    @typed
    def from_asset(directory: str, **asset_props: object) -> "ContainerImage":
        """A local directory with a Dockerfile. `cdk deploy` builds and pushes it (Docker needed at deploy time,
        not at synth). Extra keyword args go to `aws_ecr_assets.DockerImageAsset` (build_args, file, platform...).
        """
        return _AssetImage(directory, dict(asset_props))

    @staticmethod
    @typed
    def built_in(algorithm: str, version: str | None = None) -> "ContainerImage":
        """A SageMaker built-in algorithm, e.g. `built_in("xgboost", "1.7-1")` or `built_in("kmeans")`.

        version: Default: the newest version in the registry data. An unknown algorithm or version raises a
        ValueError listing what is valid.
        """
        return _BuiltInImage(_registry_entry("ContainerImage.built_in", image_registry.lookup, algorithm, version))

    @staticmethod
    @typed
    def neo(framework: str, target: str, version: str | None = None) -> "ContainerImage":
        """The image that serves a model compiled by SageMaker Neo, e.g. `neo("xgboost", "ml_c5")` or
        `neo("pytorch", "ml_inf1", "1.9")`. Endpoints check that their instance type has the accelerator the image
        needs (Inferentia images on ml.inf1, GPU images on GPU families). Unknown values raise with the valid ones.
        """
        image = _registry_entry("ContainerImage.neo", image_registry.neo_lookup, framework, target, version)
        processor = image_registry.neo_processor(target)
        return _BuiltInImage(image, accelerator={"inf": "inferentia", "gpu": "gpu"}.get(processor))

    @staticmethod
    @typed
    def from_model_package(model_package_arn: str) -> "ContainerImage":
        """An AWS Marketplace (or your own) model package ARN. Models using it run with network isolation."""
        errors = PropErrors("ContainerImage.from_model_package")
        if not is_token(model_package_arn):
            if errors.expect_type("model_package_arn", model_package_arn, str, "a model package ARN string"):
                errors.check(
                    bool(_MODEL_PACKAGE_ARN.match(model_package_arn)),
                    f"model_package_arn ({model_package_arn!r}) is not a model package ARN: use "
                    "'arn:aws:sagemaker:<region>:<account>:model-package/<name>[/<version>]'",
                )
        errors.raise_if_any()
        return _ModelPackageImage(model_package_arn)


class _EcrImage(ContainerImage):
    def __init__(self, repository: ecr.IRepository | str, tag: str) -> None:
        self.repository, self.tag = repository, tag

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundImage:
        repository = self.repository
        if isinstance(repository, str):  # a name: import it where the model binds it
            existing = scope.node.try_find_child("Repository")
            repository = (
                existing
                if isinstance(existing, ecr.RepositoryBase)
                else ecr.Repository.from_repository_name(scope, "Repository", repository)
            )
        repository.grant_pull(grantee)
        return BoundImage(image_uri=repository.repository_uri_for_tag_or_digest(self.tag))


class _AssetImage(ContainerImage):
    def __init__(self, directory: str, props: dict) -> None:
        self.directory, self.props = directory, props
        self._assets: dict[str, ecr_assets.DockerImageAsset] = {}

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundImage:
        asset = self._assets.get(scope.node.path)
        if asset is None:
            asset = ecr_assets.DockerImageAsset(scope, "Image", directory=self.directory, **self.props)
            self._assets[scope.node.path] = asset
        asset.repository.grant_pull(grantee)
        return BoundImage(image_uri=asset.image_uri)


class _BuiltInImage(ContainerImage):
    def __init__(self, image: image_registry.RegistryImage, accelerator: str | None = None) -> None:
        self.image = image
        self.accelerator = accelerator

    @property
    def requires_model_data(self) -> bool:
        return True

    def describe(self) -> str:
        return f"the built-in {self.image.algorithm!r} image ({self.image.version})"

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundImage:
        mapping = built_in_mapping(scope, self.image)
        account = mapping.find_in_map(Aws.REGION, "account")
        uri = Fn.join(
            "",
            [account, ".dkr.ecr.", Aws.REGION, ".", Aws.URL_SUFFIX, "/", self.image.repository, ":", self.image.tag],
        )
        repository_arn = Fn.join(
            "", ["arn:", Aws.PARTITION, ":ecr:", Aws.REGION, ":", account, ":repository/", self.image.repository]
        )
        iam.Grant.add_to_principal(grantee=grantee, actions=_ECR_PULL_ACTIONS, resource_arns=[repository_arn])
        # GetAuthorizationToken has no resource-level permissions: AWS only accepts "*" for it.
        iam.Grant.add_to_principal(grantee=grantee, actions=["ecr:GetAuthorizationToken"], resource_arns=["*"])
        return BoundImage(image_uri=uri, algorithm=self.image.algorithm, accelerator=self.accelerator)


class _ModelPackageImage(ContainerImage):
    def __init__(self, arn: str) -> None:
        self.arn = arn

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundImage:
        return BoundImage(model_package_name=self.arn, requires_network_isolation=True)


def built_in_mapping(scope: Construct, image: image_registry.RegistryImage) -> CfnMapping:
    """The stack-wide CfnMapping region -> {"account": registry account} for one built-in image (created once)."""
    stack = Stack.of(scope)
    mapping_id = "SageMakerImage" + re.sub(r"[^A-Za-z0-9]", "", f"{image.algorithm.title()}{image.version}")
    existing = stack.node.try_find_child(mapping_id)
    if isinstance(existing, CfnMapping):
        return existing
    return CfnMapping(
        stack,
        mapping_id,
        mapping={region: {"account": account} for region, account in sorted(image.accounts.items())},
    )


def registry_image(image: image_registry.RegistryImage) -> ContainerImage:
    """A ContainerImage for any registry entry, e.g. a Neo serving image from `image_registry.neo_lookup(...)`.

    Binds like `ContainerImage.built_in`: the URI is resolved per region through the stack's CfnMapping, and the
    grantee may pull from that one repository.
    """
    return _BuiltInImage(image)


def _registry_entry(owner: str, lookup: Any, *args: Any) -> Any:
    """A registry lookup whose ValueError (unknown algorithm, framework, target or version) is a prop error."""
    try:
        return lookup(*args)
    except ValueError as err:
        errors = PropErrors(owner)
        errors.add(str(err))
        errors.raise_if_any()
        raise  # pragma: no cover - raise_if_any raised
