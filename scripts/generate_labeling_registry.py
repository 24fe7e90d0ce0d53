#!/usr/bin/env python3
"""Generate constructs/sagemaker_cdk/labeling/data/labeling_registry.json from botocore's SageMaker service model.

Ground Truth's built-in task types run AWS-owned Lambda functions (pre-annotation "PRE-<Task>" and annotation
consolidation "ACS-<Task>") that live in a different AWS account in each region, and automated data labeling runs an
AWS-owned "labeling-job-algorithm-specification". None of these ARNs is derivable: AWS publishes them only as prose,
in the API reference. botocore ships that reference as the `documentation` strings of its service model
(`botocore/data/sagemaker/<version>/service-2.json`):

- shape `HumanTaskConfig`, member `PreHumanTaskLambdaArn`: one `<b>Task title</b> - ...` paragraph per task type,
  followed by a `<ul>` of `arn:aws:lambda:<region>:<account>:function:PRE-<Task>` items;
- shape `AnnotationConsolidationConfig`, member `AnnotationConsolidationLambdaArn`: the same for `ACS-<Task>`;
- shape `LabelingJobAlgorithmsConfig`, member `LabelingJobAlgorithmSpecificationArn`: one
  `arn:aws:sagemaker:<i>region</i>:<account>:labeling-job-algorithm-specification/<algorithm>` per algorithm, the
  region left as a placeholder (the same account serves every region).

This script parses those strings with the installed botocore (the SDK the project pins), keys each task type by its
function suffix ("ImageMultiClass", "BoundingBox", ...), and writes one deterministic JSON file that the library
loads at synth time (sagemaker_cdk.labeling.registry). Nobody edits that file by hand.

    python scripts/generate_labeling_registry.py          # rewrite the file
    python scripts/generate_labeling_registry.py --check  # exit 1 if the committed file is stale
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import re
import sys
from pathlib import Path

GENERATOR = "scripts/generate_labeling_registry.py"
REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT = REPO_ROOT / "constructs" / "sagemaker_cdk" / "labeling" / "data" / "labeling_registry.json"

SOURCES = {
    "PRE": ("HumanTaskConfig", "PreHumanTaskLambdaArn"),
    "ACS": ("AnnotationConsolidationConfig", "AnnotationConsolidationLambdaArn"),
}
ALGORITHM_SOURCE = ("LabelingJobAlgorithmsConfig", "LabelingJobAlgorithmSpecificationArn")

_LAMBDA_ARN = re.compile(r"arn:aws:lambda:([a-z0-9-]+):(\d{12}):function:(PRE|ACS)-([A-Za-z0-9]+)")
_TITLE = re.compile(r"<b>(.*?)</b>")
_ALGORITHM_ARN = re.compile(
    r"arn:aws:sagemaker:<i>region</i>:(\d{12}):labeling-job-algorithm-specification/([a-z0-9-]+)"
)


def _documentation(model: dict, shape: str, member: str) -> str:
    try:
        return model["shapes"][shape]["members"][member]["documentation"]
    except KeyError:
        raise SystemExit(f"botocore's sagemaker model has no documentation for {shape}.{member}: the source moved")


def _lambda_section(doc: str, kind: str) -> dict[str, dict]:
    """{task suffix: {"title": ..., "accounts": {region: account}}} from one documentation string."""
    tasks: dict[str, dict] = {}
    title = ""
    # Walk the string in order: a <b>title</b> names the task type of the ARNs that follow it.
    tokens = sorted(
        [(m.start(), "title", m) for m in _TITLE.finditer(doc)]
        + [(m.start(), "arn", m) for m in _LAMBDA_ARN.finditer(doc)],
        key=lambda t: t[0],
    )
    for _, kind_of, match in tokens:
        if kind_of == "title":
            title = html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()
            continue
        region, account, prefix, task = match.groups()
        if prefix != kind:
            raise SystemExit(f"{kind} documentation lists a {prefix} function ({match.group(0)})")
        entry = tasks.setdefault(task, {"title": title, "accounts": {}})
        known = entry["accounts"].get(region)
        if known is not None and known != account:
            raise SystemExit(f"{kind}-{task} in {region} is listed with two accounts ({known}, {account})")
        entry["accounts"][region] = account
    return tasks


def build() -> dict:
    import botocore.loaders

    model = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
    sections = {kind: _lambda_section(_documentation(model, *source), kind) for kind, source in SOURCES.items()}
    task_types: dict[str, dict] = {}
    for task in sorted(set(sections["PRE"]) | set(sections["ACS"])):
        pre, acs = sections["PRE"].get(task), sections["ACS"].get(task)
        if pre is None or acs is None:
            raise SystemExit(f"task type {task} has only a {'PRE' if pre else 'ACS'} function in the documentation")
        task_types[task] = {
            # The pre-annotation list carries the canonical titles (the consolidation list has a copy-paste slip).
            "title": pre["title"],
            "pre_annotation_accounts": dict(sorted(pre["accounts"].items())),
            "consolidation_accounts": dict(sorted(acs["accounts"].items())),
        }
    algorithm_doc = _documentation(model, *ALGORITHM_SOURCE)
    algorithms = {name: {"account": account} for account, name in _ALGORITHM_ARN.findall(algorithm_doc)}
    if not algorithms or not task_types:
        raise SystemExit("no ARNs found in botocore's documentation strings: their format changed")
    return {
        "generated_by": GENERATOR,
        "source": {
            "package": "botocore",
            "service": "sagemaker",
            "api_version": model["metadata"]["apiVersion"],
            "documentation": [f"{shape}.{member}" for shape, member in (*SOURCES.values(), ALGORITHM_SOURCE)],
        },
        "task_types": task_types,
        "algorithms": dict(sorted(algorithms.items())),
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
            current.splitlines(keepends=True), text.splitlines(keepends=True), "committed", "generated", n=1
        )
        sys.stdout.writelines(list(diff)[:60])
        print(f"\n{args.output} is stale: run `python {GENERATOR}`", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    data = json.loads(text)
    regions = {r for t in data["task_types"].values() for r in t["pre_annotation_accounts"]}
    print(f"wrote {args.output} ({len(data['task_types'])} task types in {len(regions)} regions, "
          f"{len(data['algorithms'])} automated-labeling algorithms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
