"""Where the SageMaker built-in algorithm images live, per algorithm, version and region.

The data comes from ``data/image_registry.json``, which ``scripts/generate_image_registry.py``
generates from the image URI configuration shipped by the pinned ``sagemaker-core`` package. It
covers the commercial ``aws`` partition only. This module is plain Python (no aws_cdk import) so
that it can be used from tests, scripts and Lambda handlers alike.

    >>> image = lookup("xgboost", "1.7-1")
    >>> image.uri("us-east-1")
    '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1'
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Mapping

__all__ = [
    "RegistryImage",
    "algorithms",
    "canonical_name",
    "lookup",
    "neo_frameworks",
    "neo_lookup",
    "neo_processor",
    "source",
]

_DATA_FILE = "image_registry.json"

# Other names people use for the same algorithm. Spelling variants that differ only in case,
# hyphens, underscores or spaces ("random_cut_forest", "Linear Learner", "k-means") need no entry:
# names are compared after dropping those characters.
_ALIASES = {
    "anomaly-detection": "randomcutforest",
    "rcf": "randomcutforest",
    "k-nearest-neighbors": "knn",
    "factorization-machine": "factorization-machines",
    "neural-topic-model": "ntm",
    "latent-dirichlet-allocation": "lda",
    "principal-component-analysis": "pca",
    "sequence-to-sequence": "seq2seq",
    "object-to-vec": "object2vec",
}


@dataclass(frozen=True)
class RegistryImage:
    """One built-in algorithm image: ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>``."""

    algorithm: str
    version: str
    repository: str
    tag: str
    accounts: Mapping[str, str]  # region -> registry account id, commercial regions only

    def __hash__(self) -> int:  # the read-only accounts mapping is not hashable itself
        return hash((self.algorithm, self.version, self.repository, self.tag))

    @property
    def regions(self) -> tuple[str, ...]:
        """Regions that host this image, sorted."""
        return tuple(sorted(self.accounts))

    def account(self, region: str) -> str:
        """Registry account id for ``region``; ValueError naming the supported regions otherwise."""
        try:
            return self.accounts[region]
        except KeyError:
            raise ValueError(
                f"region {region!r} does not host SageMaker built-in image "
                f"{self.algorithm} {self.version}: use one of {', '.join(self.regions)}"
            ) from None

    def uri(self, region: str, url_suffix: str = "amazonaws.com") -> str:
        """Full image URI in ``region`` (commercial partition, so the suffix is amazonaws.com)."""
        return f"{self.account(region)}.dkr.ecr.{region}.{url_suffix}/{self.repository}:{self.tag}"


@functools.lru_cache(maxsize=1)
def _load() -> dict[str, Any]:
    text = resources.files(__name__.rpartition(".")[0]).joinpath("data").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _version_key(version: str) -> tuple[int, ...]:
    # "1", "0.90-1", "1.7-1", "3.2-0": numeric components separated by "." or "-".
    return tuple(int(part) for part in re.split(r"[.-]", version))


def _squash(name: str) -> str:
    return re.sub(r"[-_\s]", "", name.strip().lower())


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Squashed spelling -> canonical algorithm name, for canonical names and aliases."""
    canonical = _load()["algorithms"]
    names = {_squash(name): name for name in canonical}
    for alias, target in _ALIASES.items():
        if target in canonical:
            names.setdefault(_squash(alias), target)
    return names


def source() -> Mapping[str, str]:
    """The package (name, version) and generator the data was produced from."""
    data = _load()
    return MappingProxyType({**data["source"], "generated_by": data["generated_by"]})


def algorithms() -> dict[str, tuple[str, ...]]:
    """Every built-in algorithm name mapped to its known versions, oldest first."""
    return {
        name: tuple(sorted(entry["versions"], key=_version_key))
        for name, entry in sorted(_load()["algorithms"].items())
    }


def canonical_name(algorithm: str) -> str:
    """The registry name for ``algorithm`` or one of its aliases; ValueError listing valid names."""
    name = _names().get(_squash(algorithm)) if isinstance(algorithm, str) else None
    if name is None:
        raise ValueError(
            f"algorithm {algorithm!r} is not a SageMaker built-in algorithm: "
            f"use one of {', '.join(sorted(_load()['algorithms']))}"
        )
    return name


def lookup(algorithm: str, version: str | None = None) -> RegistryImage:
    """The image for ``algorithm`` at ``version``.

    ``algorithm`` may be the registry name ("randomcutforest"), a spelling variant of it
    ("random_cut_forest", "Random-Cut-Forest") or an alias ("anomaly-detection").

    ``version=None`` picks the newest version: versions are compared numerically on their
    "."/"-" separated components ("1.7-1" is (1, 7, 1)), so xgboost resolves to its highest
    framework version; its legacy "1" image compares as (1,) and so sorts between "0.90-2" and
    "1.0-1". The other built-in algorithms have the single version "1".
    Pin the version whenever the model artifact depends on it, as XGBoost models do.
    """
    name = canonical_name(algorithm)
    versions = _load()["algorithms"][name]["versions"]
    known = sorted(versions, key=_version_key)
    if version is None:
        chosen = known[-1]
    else:
        chosen = str(version).strip()
        if chosen not in versions:
            raise ValueError(
                f"version {version!r} of SageMaker built-in algorithm {name!r} is not known: "
                f"use one of {', '.join(known)}"
            )
    entry = versions[chosen]
    return RegistryImage(
        algorithm=name,
        version=chosen,
        repository=entry["repository"],
        tag=entry["tag"],
        accounts=MappingProxyType(dict(entry["accounts"])),
    )


# -- Neo-compiled models ----------------------------------------------------------------------------------------------
#
# The images that serve a model compiled by SageMaker Neo come from the "neo" (cloud CPU/GPU targets) and
# "inferentia" (ml_inf1) sections of the same generated file. The processor rule is the SageMaker SDK's: an
# Inferentia family serves with the "inf" image, families starting with "g" or "p" with the "gpu" image, every
# other family with the "cpu" image.

_NEO_SECTIONS = ("neo", "inferentia")
_ANY_PROCESSOR = "any"
_NEO_PROCESSORS = ("cpu", "gpu", "inf")
_NEO_CLOUD_TARGET = re.compile(r"^ml_([a-z0-9]+)$")
_INSTANCE_TYPE = re.compile(r"^ml\.([a-z0-9-]+)\.[a-z0-9-]+$")


def _neo_version_key(version: str) -> tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.-]", version))


def neo_frameworks() -> dict[str, dict[str, tuple[str, ...]]]:
    """{"neo": {framework: versions}, "inferentia": {...}}: the frameworks with a Neo serving image, oldest first."""
    data = _load()
    return {
        section: {
            name: tuple(sorted(entry["versions"], key=_neo_version_key))
            for name, entry in sorted(data.get(section, {}).items())
        }
        for section in _NEO_SECTIONS
    }


def neo_processor(target: str) -> str:
    """The image processor ("cpu", "gpu" or "inf") for a Neo cloud target.

    ``target`` is a Neo target device ("ml_c5", "ml_inf1"), an instance type ("ml.g4dn.xlarge") or a processor
    name itself. Edge devices, target platforms, and Inf2/Trn1 (served by AWS Neuron DLCs, not Neo images) have no
    Neo serving image: ValueError naming the fix.
    """
    if not isinstance(target, str):
        raise ValueError(f"target ({target!r}) must be a string such as 'ml_c5' or 'ml.c5.xlarge'")
    if target in _NEO_PROCESSORS:
        return target
    match = _NEO_CLOUD_TARGET.match(target) or _INSTANCE_TYPE.match(target)
    if not match:
        raise ValueError(
            f"target ({target!r}) is not a SageMaker cloud target: Neo serving images exist for 'ml_<family>' "
            "targets (e.g. 'ml_c5', 'ml_inf1') only; edge devices and target platforms run the compiled model "
            "with the Neo runtime (DLR) on the device instead"
        )
    family = match.group(1)
    if family in ("inf2", "trn1", "trn1n", "trn2"):
        raise ValueError(
            f"target ({target!r}) has no Neo serving image: Inf2 and Trn1 models are served by the AWS Neuron "
            "(neuronx) Deep Learning Containers; pass your own image for them"
        )
    if family.startswith("inf"):
        return "inf"
    if family[0] in ("g", "p"):
        return "gpu"
    return "cpu"


def neo_lookup(framework: str, target: str, version: str | None = None) -> RegistryImage:
    """The image that serves a model compiled by Neo for ``target``.

    ``framework``: "xgboost", "pytorch", "tensorflow", "mxnet" or "image-classification" (case-insensitive, so
    CreateCompilationJob's "XGBOOST" works too). ``target``: see `neo_processor`. ``version``: the framework
    version the model was compiled with; SageMaker SDK aliases apply ("1.8.1" serves with "1.8"). Default: the
    newest image version. Images published only as "latest" (xgboost-neo, image-classification-neo) serve every
    framework version, so any ``version`` resolves to "latest" for them.

    The returned image's ``algorithm`` is the data source's configuration name, e.g. "neo-pytorch",
    "inferentia-pytorch" or "xgboost-neo", and its tag carries the processor ("1.8-cpu-py3", "1.9-inf-py3").
    """
    processor = neo_processor(target)
    section = "inferentia" if processor == "inf" else "neo"
    data = _load()
    frameworks = data.get(section, {})
    name = _squash(framework) if isinstance(framework, str) else ""
    by_squashed = {_squash(key): key for key in frameworks}
    if name not in by_squashed:
        raise ValueError(
            f"framework ({framework!r}) has no Neo serving image for {section} ({processor}) targets: use one of "
            f"{', '.join(sorted(frameworks))}"
            + (", or compile for a CPU/GPU target" if section == "inferentia" else "")
        )
    key = by_squashed[name]
    entry = frameworks[key]
    known = sorted(entry["versions"], key=_neo_version_key)
    if version is None or known == ["latest"]:
        chosen = known[-1]
    else:
        requested = str(version).strip()
        chosen = entry.get("version_aliases", {}).get(requested, requested)
        if chosen not in entry["versions"]:
            aliases = sorted(entry.get("version_aliases", {}), key=_neo_version_key)
            raise ValueError(
                f"version {version!r} of {entry['config']} is not known: use one of {', '.join(known)}"
                + (f" (or an alias: {', '.join(aliases)})" if aliases else "")
            )
    image = entry["versions"][chosen]
    tags = image["tags"]
    tag = tags.get(processor, tags.get(_ANY_PROCESSOR))
    if tag is None:
        raise ValueError(
            f"{entry['config']} {chosen} has no {processor} image (it has {', '.join(sorted(tags))}): compile for a "
            "target with one of those processors"
        )
    return RegistryImage(
        algorithm=entry["config"],
        version=chosen,
        repository=image["repository"],
        tag=tag,
        accounts=MappingProxyType(dict(image["accounts"])),
    )
