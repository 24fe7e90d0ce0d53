"""ModelData: where a model's `model.tar.gz` lives, and the grants a model's role needs to read it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_iam as iam, aws_kms as kms, aws_s3 as s3, aws_s3_assets as s3_assets
from constructs import Construct

from ._types import typed
from ._validation import PropErrors, is_token
from .artifact_bucket import ArtifactBucket


@dataclass(frozen=True)
class BoundModelData:
    """What a Model renders: the S3 URL of the artifact."""

    url: str


class ModelData:
    """A model artifact in S3. Create one with `from_bucket` or `from_asset`."""

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundModelData:  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    @typed
    def from_bucket(
        bucket: ArtifactBucket | s3.IBucket, key: str, *, encryption_key: kms.IKey | None = None
    ) -> "ModelData":
        """An existing object. The model's role gets s3:GetObject on exactly this key (and kms:Decrypt on the
        bucket's key, or on `encryption_key` when the bucket is imported).

        `key` must name a `.tar.gz` object, e.g. "models/xgboost/model.tar.gz".
        """
        errors = PropErrors("ModelData.from_bucket")
        if not is_token(key):
            if errors.expect_type("key", key, str, "an S3 object key string"):
                errors.check(
                    key.endswith(".tar.gz") and not key.startswith("/"),
                    f"key ({key!r}) must be an object key ending in .tar.gz without a leading '/', "
                    "e.g. 'models/xgboost/model.tar.gz'",
                )
        errors.raise_if_any()
        return _BucketModelData(bucket.bucket if isinstance(bucket, ArtifactBucket) else bucket, key, encryption_key)

    @staticmethod
    @typed
    def from_asset(path: str | Path) -> "ModelData":
        """A local `.tar.gz` file, uploaded as a CDK file asset at deploy time. Anything else is rejected."""
        errors = PropErrors("ModelData.from_asset")
        file = Path(path)
        if not str(file).endswith(".tar.gz"):
            errors.add(f"path ({str(path)!r}) must be a .tar.gz file: package the model as model.tar.gz")
        elif not file.is_file():
            errors.add(f"path ({str(path)!r}) does not exist or is not a file: give the path of a model.tar.gz")
        errors.raise_if_any()
        return _AssetModelData(file.resolve())


class _BucketModelData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str, encryption_key: kms.IKey | None) -> None:
        self.bucket, self.key, self.encryption_key = bucket, key, encryption_key

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundModelData:
        grant_object_read(grantee, self.bucket, self.key)
        key = self.encryption_key or self.bucket.encryption_key
        if key is not None:
            key.grant_decrypt(grantee)
        return BoundModelData(url=self.bucket.s3_url_for_object(self.key))


class _AssetModelData(ModelData):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._assets: dict[str, s3_assets.Asset] = {}

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> BoundModelData:
        # One asset per scope: models that share the same file share the upload.
        key = scope.node.path
        asset = self._assets.get(key)
        if asset is None:
            asset = s3_assets.Asset(scope, "ModelData", path=str(self.path))
            self._assets[key] = asset
        # Asset.grant_read would open the whole bootstrap bucket; the model needs this one object only.
        grant_object_read(grantee, asset.bucket, asset.s3_object_key)
        return BoundModelData(url=asset.s3_object_url)


def grant_object_read(grantee: iam.IGrantable, bucket: s3.IBucket, key: str) -> iam.Grant:
    """s3:GetObject on exactly one object: all SageMaker needs to download a model artifact."""
    return iam.Grant.add_to_principal(
        grantee=grantee, actions=["s3:GetObject"], resource_arns=[bucket.arn_for_objects(key)]
    )
