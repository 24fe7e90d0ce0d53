#!/usr/bin/env python3
"""Generate constructs/sagemaker_cdk/core/data/image_registry.json from the SageMaker image URI data.

The registry accounts that host the built-in algorithm images differ per region and are not
derivable: they are published data. This script reads them from the `image_uri_config` JSON files
that the pinned `sagemaker-core` distribution ships (see requirements-dev.txt), keeps the built-in
algorithms and the commercial `aws` partition only, and writes one deterministic JSON file that
the library loads at synth time (sagemaker_cdk.core.image_registry). Nobody edits that file by hand.

    python scripts/generate_image_registry.py          # rewrite the file
    python scripts/generate_image_registry.py --check  # exit 1 if the committed file is stale

Image tag rule (as the SageMaker SDK forms it for these images): the version key, then "-<processor>"
when the version entry lists processors (we take "cpu", since we serve on CPU instances), then
"-<python>" when it lists exactly one Python version. Built-in algorithms (version "1") have neither,
so their tag is "1"; XGBoost "1.7-1" has neither, so its tag is "1.7-1"; the old XGBoost "0.90-1"
lists cpu and py3, so its tag is "0.90-1-cpu-py3".

Neo sections. The same data source also describes the images that serve Neo-compiled models: `neo-<framework>`
and `xgboost-neo` / `image-classification-neo` (cloud CPU and GPU targets) and `inferentia-<framework>` (ml_inf1
targets). They are written to the top-level "neo" and "inferentia" sections, keyed by framework, with one tag per
processor the version entry supports ("<version>-<processor>-<python>", e.g. "1.8-cpu-py3", "1.9-inf-py3"; configs
without processors get the single key "any", e.g. xgboost-neo "latest"), plus the SDK's version aliases
("1.8.1" -> "1.8").
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from importlib import metadata
from pathlib import Path

SOURCE_DISTRIBUTION = "sagemaker-core"
CONFIG_DIR = "sagemaker/core/image_uri_config"
GENERATOR = "scripts/generate_image_registry.py"

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "constructs" / "sagemaker_cdk" / "core" / "data" / "image_registry.json"

# Built-in algorithms; each name is also the config file's stem.
ALGORITHMS = (
    "blazingtext",
    "factorization-machines",
    "image-classification",
    "ipinsights",
    "kmeans",
    "knn",
    "lda",
    "linear-learner",
    "ntm",
    "object-detection",
    "object2vec",
    "pca",
    "randomcutforest",
    "semantic-segmentation",
    "seq2seq",
    "xgboost",
)

# Region names of the commercial `aws` partition (the partition's published region pattern).
# It excludes aws-cn (cn-*), aws-us-gov (us-gov-*), the isolated partitions (us-iso*-*) and
# the European Sovereign Cloud (eusc-*).
COMMERCIAL_REGION = re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$")
EXCLUDED_PREFIXES = ("cn-", "us-gov-", "us-iso", "eusc-")

# Scope whose registries we record. The training registries are required to be identical.
SCOPE = "inference"
PROCESSOR = "cpu"

# (section, framework) -> config file stem, for the images that serve Neo-compiled models.
NEO_CONFIGS = {
    ("neo", "image-classification"): "image-classification-neo",
    ("neo", "mxnet"): "neo-mxnet",
    ("neo", "pytorch"): "neo-pytorch",
    ("neo", "tensorflow"): "neo-tensorflow",
    ("neo", "xgboost"): "xgboost-neo",
    ("inferentia", "mxnet"): "inferentia-mxnet",
    ("inferentia", "pytorch"): "inferentia-pytorch",
    ("inferentia", "tensorflow"): "inferentia-tensorflow",
}
ANY_PROCESSOR = "any"


def _is_commercial(region: str) -> bool:
    return bool(COMMERCIAL_REGION.match(region)) and not region.startswith(EXCLUDED_PREFIXES)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.split(r"[.-]", version))


def _scope_versions(config: dict, scope: str, algorithm: str) -> dict:
    """The `versions` mapping for one scope, whichever of the two file layouts is used."""
    if "versions" in config:  # flat layout: a "scope" list applies to every version
        if scope not in config.get("scope", ()):
            raise SystemExit(f"{algorithm}: scope {scope!r} missing from {config.get('scope')}")
        return config["versions"]
    if scope not in config:
        raise SystemExit(f"{algorithm}: no {scope!r} section")
    return config[scope]["versions"]


def _tag(version: str, entry: dict, algorithm: str) -> str:
    parts = [entry.get("tag_prefix", version)]
    processors = entry.get("processors")
    if processors:
        if PROCESSOR not in processors:
            raise SystemExit(f"{algorithm} {version}: no {PROCESSOR} image ({processors})")
        parts.append(PROCESSOR)
    py_versions = entry.get("py_versions")
    if py_versions:
        if len(py_versions) != 1:
            raise SystemExit(f"{algorithm} {version}: ambiguous Python versions {py_versions}")
        parts.append(py_versions[0])
    if entry.get("container_version"):
        raise SystemExit(f"{algorithm} {version}: container_version tags are not supported here")
    return "-".join(parts)


def _neo_version_key(version: str) -> tuple:
    # "latest" (xgboost-neo) has no numeric parts; it sorts after every number.
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[.-]", version))


def _load_config(dist: metadata.Distribution, stem: str) -> dict:
    path = Path(dist.locate_file(f"{CONFIG_DIR}/{stem}.json"))
    if not path.is_file():
        raise SystemExit(f"{SOURCE_DISTRIBUTION} {dist.version} ships no {CONFIG_DIR}/{stem}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _neo_sections(dist: metadata.Distribution) -> dict[str, dict]:
    sections: dict[str, dict] = {"neo": {}, "inferentia": {}}
    for (section, framework), stem in sorted(NEO_CONFIGS.items()):
        config = _load_config(dist, stem)
        serving = _scope_versions(config, SCOPE, stem)
        processors = list(config.get("processors") or [])
        versions: dict[str, dict] = {}
        for version in sorted(serving, key=_neo_version_key):
            entry = serving[version]
            if entry.get("container_version") or entry.get("tag_prefix"):
                raise SystemExit(f"{stem} {version}: container_version/tag_prefix tags are not supported here")
            py_versions = entry.get("py_versions") or []
            if len(py_versions) > 1:
                raise SystemExit(f"{stem} {version}: ambiguous Python versions {py_versions}")
            accounts = {r: a for r, a in entry["registries"].items() if _is_commercial(r)}
            bad = [a for a in accounts.values() if not re.fullmatch(r"\d{12}", a)]
            if bad:
                raise SystemExit(f"{stem} {version}: malformed account ids {bad}")
            if not accounts:
                continue
            tags = {
                processor: "-".join([version, processor, *py_versions])
                for processor in processors
            } or {ANY_PROCESSOR: "-".join([version, *py_versions])}
            versions[version] = {"repository": entry["repository"], "tags": tags, "accounts": accounts}
        sections[section][framework] = {
            "config": stem,
            "processors": processors,
            "version_aliases": dict(sorted((config.get("version_aliases") or {}).items())),
            "versions": versions,
        }
    return sections


def build() -> dict:
    try:
        dist = metadata.distribution(SOURCE_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise SystemExit(f"{SOURCE_DISTRIBUTION} is not installed: pip install -r requirements-dev.txt")

    algorithms: dict[str, dict] = {}
    for algorithm in ALGORITHMS:
        path = Path(dist.locate_file(f"{CONFIG_DIR}/{algorithm}.json"))
        if not path.is_file():
            raise SystemExit(f"{SOURCE_DISTRIBUTION} {dist.version} ships no {CONFIG_DIR}/{algorithm}.json")
        config = json.loads(path.read_text(encoding="utf-8"))
        serving = _scope_versions(config, SCOPE, algorithm)
        training = _scope_versions(config, "training", algorithm)

        versions: dict[str, dict] = {}
        for version in sorted(serving, key=_version_key):
            entry = serving[version]
            if training.get(version, {}).get("registries") != entry["registries"]:
                raise SystemExit(f"{algorithm} {version}: training and inference registries differ")
            accounts = {r: a for r, a in entry["registries"].items() if _is_commercial(r)}
            bad = [a for a in accounts.values() if not re.fullmatch(r"\d{12}", a)]
            if bad:
                raise SystemExit(f"{algorithm} {version}: malformed account ids {bad}")
            if not accounts:
                continue
            versions[version] = {
                "repository": entry["repository"],
                "tag": _tag(version, entry, algorithm),
                "accounts": accounts,
            }
        algorithms[algorithm] = {"versions": versions}

    return {
        "generated_by": GENERATOR,
        "source": {
            "package": SOURCE_DISTRIBUTION,
            "version": dist.version,
            "path": CONFIG_DIR,
        },
        "partition": "aws",
        "scope": SCOPE,
        "algorithms": algorithms,
        **_neo_sections(dist),
    }


def render(data: dict) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    text = render(build())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current == text:
            print(f"{args.output} is up to date")
            return 0
        diff = difflib.unified_diff(
            current.splitlines(keepends=True), text.splitlines(keepends=True),
            "committed", "generated", n=1,
        )
        sys.stdout.writelines(list(diff)[:60])
        print(f"\n{args.output} is stale: run `make regenerate`", file=sys.stderr)
        return 1

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    data = json.loads(text)
    n_versions = sum(len(a["versions"]) for a in data["algorithms"].values())
    n_neo = sum(len(f["versions"]) for section in ("neo", "inferentia") for f in data[section].values())
    print(f"wrote {args.output} ({len(data['algorithms'])} algorithms, {n_versions} versions, "
          f"{n_neo} Neo/Inferentia image versions, from {data['source']['package']} {data['source']['version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
