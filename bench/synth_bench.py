#!/usr/bin/env python3
"""Synth cost of the library: the reference app vs a hand-written L1 app, and scaling with the endpoint count.

Every sample is a fresh `python -c` subprocess that does what `cdk synth` makes app.py do: import aws_cdk (which
starts the jsii Node.js kernel), construct the app and `app.synth()` it to a temporary outdir. Cases are run
round-robin (interleaved, the order rotating each round) so that load from other work on the machine spreads
evenly over them; medians are reported.

Cases:
  ref+nag      the reference app (stacks.app_builder.build_app) with cdk-nag AwsSolutions + Serverless, as app.py
  ref          the same without cdk-nag
  l1           bench/l1_reference_app.py: the same resources, hand-written with Cfn* classes
  ref/noval    `ref` with CDK_VALIDATION=false (aws-cdk-lib's built-in CloudFormation validation off)
  l1/noval     `l1` with CDK_VALIDATION=false
  import       `import aws_cdk` only (interpreter + jsii kernel start + aws-cdk-lib load)
  scale-<n>    n RealtimeEndpoints (one Model each, XGBoost 1.7-1 built-in image, model.tar.gz asset, one
               autoscaled 2-instance variant), at most --per-stack endpoints per stack, one ModelNetwork per stack

Measured per sample: wall time (spawn to exit), CPU time of the process tree (Python + jsii node, from wait4),
the child's own phase timings (import, construct, synth), Python peak RSS (getrusage RUSAGE_SELF ru_maxrss in the
child) and the jsii node process's peak RSS (VmHWM from /proc, read just before the child exits).

By default (--ref-rev worktree) the reference side is bench/foundation_app.py built with the working tree's library:
the foundation resources (bucket, network, two models, the two-variant endpoint) that the L1 app mirrors resource
for resource. --ref-rev REV instead measures the whole reference app (stacks/app_builder.py) of a `git archive`
export of REV (into bench/out/, read-only for the repo); FOUNDATION_REV is the commit whose InferenceStack held
exactly the mirrored resources. Before timing, the resource-type counts
of both apps are compared (bench/l1_reference_app.py --check) and any difference is printed with the tables.

    python bench/synth_bench.py [--quick] [-n N] [--ref-rev REV|worktree] [--scale 1,10,40] [--per-stack 8]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# "Foundation: ... core constructs and reference app" + its tests: the InferenceStack that l1_reference_app mirrors.
FOUNDATION_REV = "fd556a7"
BENCH = ROOT / "bench"
OUT = BENCH / "out"
PYTHON = sys.executable

# The program each sample runs (python -c CHILD '<json config>'). It prints one JSON line prefixed with MARK.
MARK = "@@synth_bench@@"
CHILD = r"""
import time
t0 = time.perf_counter()
import json, os, resource, sys
cfg = json.loads(sys.argv[1])
sys.path[:0] = cfg["sys_path"]
import aws_cdk as cdk
t1 = time.perf_counter()
result = {}
if cfg["kind"] != "import":
    app = cdk.App(outdir=cfg["outdir"], context=cfg["context"])
    if cfg["kind"] == "ref":
        if cfg.get("foundation"):
            from foundation_app import build_foundation_app
            build_foundation_app(app)
        else:
            from stacks.app_builder import build_app
            build_app(app)
    elif cfg["kind"] == "l1":
        from l1_reference_app import build_l1_app
        build_l1_app(app)
    elif cfg["kind"] == "scale":
        from sagemaker_cdk import AutoScaling, ContainerImage, Model, ModelData, ModelNetwork, RealtimeEndpoint, Variant
        image = ContainerImage.built_in("xgboost", "1.7-1")
        artifact = ModelData.from_asset(cfg["model_artifact"])
        stack = None
        for i in range(cfg["endpoints"]):
            if i % cfg["per_stack"] == 0:
                stack = cdk.Stack(app, f"Scale{i // cfg['per_stack'] + 1}")
                network = ModelNetwork(stack, ModelNetwork.DEFAULT_ID)
            model = Model(stack, f"Model{i}", image=image, model_data=artifact, network=network)
            RealtimeEndpoint(stack, f"Endpoint{i}", variants=[
                Variant(model=model, name="main", instance_count=2,
                        autoscaling=AutoScaling(max_capacity=4, max_rps_per_instance=20.0)),
            ])
        cdk.Tags.of(app).add("project", "sagemaker-cdk")
    if cfg["nag"]:
        from cdk_nag import AwsSolutionsChecks, ServerlessChecks
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    t2 = time.perf_counter()
    assembly = app.synth()
    t3 = time.perf_counter()
    stacks = {}
    for s in assembly.stacks:
        warnings = [m for m in s.messages if "CloudFormation allows" in str(m.entry.data)]
        stacks[s.stack_name] = {"resources": len(s.template.get("Resources", {})), "budget_warnings": len(warnings)}
    result = {"construct": t2 - t1, "synth": t3 - t2, "stacks": stacks}
else:
    t3 = t1
node = {}
for task in os.listdir("/proc/self/task"):
    try:
        kids = open(f"/proc/self/task/{task}/children").read().split()
    except OSError:
        continue
    for pid in kids:
        try:
            status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status") if ":" in l)
        except OSError:
            continue
        if status["Name"].strip() == "node":
            node = {"pid": int(pid), "hwm_kb": int(status["VmHWM"].split()[0])}
result.update(
    {"import": t1 - t0, "in_process": t3 - t0, "py_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
     "node_hwm_kb": node.get("hwm_kb"), "done_at": time.time()}
)
print("@@synth_bench@@" + json.dumps(result), flush=True)
"""


def export_reference(rev: str) -> Path:
    """The checkout whose reference app and library are measured: a `git archive` export of `rev` (read-only)."""
    if rev == "worktree":
        return ROOT
    sha = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short=12", rev], check=True, capture_output=True, text=True
    ).stdout.strip()
    target = OUT / f"ref-{sha}"
    if not (target / "stacks" / "app_builder.py").exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", sha], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def run_sample(case: dict, ref_root: Path, context: dict) -> dict:
    outdir = tempfile.mkdtemp(prefix="synth-bench-")
    cfg = {
        "kind": case["kind"],
        "nag": case.get("nag", False),
        "endpoints": case.get("endpoints", 0),
        "per_stack": case.get("per_stack", 8),
        "outdir": outdir,
        "context": context,
        "model_artifact": str(ref_root / "models" / "xgboost" / "model.tar.gz"),
        "sys_path": [str(ref_root), str(ref_root / "constructs"), str(BENCH)],
        # The working tree is measured through bench/foundation_app.py (the resources the L1 app mirrors).
        "foundation": ref_root == ROOT,
    }
    env = {k: v for k, v in os.environ.items() if k not in ("CDK_VALIDATION", "CDK_OUTDIR", "CDK_CONTEXT_JSON")}
    env.update(JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="18,20", JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="18,20")
    env.update(case.get("env", {}))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([PYTHON, "-c", CHILD, json.dumps(cfg)], stdout=out, stderr=err, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage (Python + the node it waited for)
        wall = time.perf_counter() - start
        exited_at = time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    shutil.rmtree(outdir, ignore_errors=True)
    line = next((l for l in stdout.splitlines() if l.startswith(MARK)), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"{case['name']} failed (exit {proc.returncode}):\n{stderr[-3000:]}")
    sample = json.loads(line[len(MARK) :])
    # exit: from the child's last line to its exit (Python shutdown, jsii kernel stop and node exit).
    sample.update(wall=wall, cpu=usage.ru_utime + usage.ru_stime, tree_maxrss_kb=usage.ru_maxrss,
                  exit=exited_at - sample.pop("done_at"))
    return sample


def median(samples: list[dict], key: str) -> float | None:
    values = [s[key] for s in samples if s.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(samples: list[dict]) -> dict:
    keys = ("wall", "cpu", "import", "construct", "synth", "exit", "in_process", "py_maxrss_kb", "node_hwm_kb", "tree_maxrss_kb")
    summary = {f"{k}_median": median(samples, k) for k in keys}
    walls = sorted(s["wall"] for s in samples)
    summary.update(n=len(samples), wall_min=walls[0], wall_max=walls[-1], stacks=samples[-1].get("stacks"))
    return summary


def paired_ratio(a: list[dict], b: list[dict], key: str) -> float:
    """Median over rounds of a[i]/b[i]: robust to load that drifts between rounds."""
    return statistics.median(x[key] / y[key] for x, y in zip(a, b))


def linear_fit(points: list[tuple[float, float]]) -> dict:
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    intercept = my - slope * mx
    ss_tot = sum((y - my) ** 2 for _, y in points)
    ss_res = sum((y - (intercept + slope * x)) ** 2 for x, y in points)
    return {"slope": slope, "intercept": intercept, "r2": 1 - ss_res / ss_tot if ss_tot else 1.0}


def fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def mb(kb: float | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N=3")
    parser.add_argument("-n", type=int, default=None, help="samples per case (default 7, --quick 3)")
    parser.add_argument(
        "--ref-rev", default="worktree", help="git revision of the reference app and library, or 'worktree'"
    )
    parser.add_argument("--scale", default="1,10,40", help="endpoint counts of the scaling cases")
    parser.add_argument("--per-stack", type=int, default=8, help="endpoints per stack in the scaling cases")
    parser.add_argument("--no-breakdown", action="store_true", help="skip the import and CDK_VALIDATION=false cases")
    parser.add_argument("--json", type=Path, default=OUT / "synth.json")
    parser.add_argument("--render", type=Path, help="print the tables of a saved JSON result and exit")
    args = parser.parse_args(argv)
    n = args.n or (3 if args.quick else 7)
    if args.render:
        report = json.loads(args.render.read_text())
        print(render(report, [{"name": name} for name in report["summary"]]))
        return 0

    ref_root = export_reference(args.ref_rev)
    context = json.loads((ref_root / "cdk.json").read_text())["context"]
    noval = {"CDK_VALIDATION": "false"}
    cases = [
        {"name": "ref+nag", "kind": "ref", "nag": True},
        {"name": "ref", "kind": "ref"},
        {"name": "l1", "kind": "l1"},
    ]
    if not args.no_breakdown:
        cases += [
            {"name": "ref/noval", "kind": "ref", "env": noval},
            {"name": "l1/noval", "kind": "l1", "env": noval},
            {"name": "import", "kind": "import"},
        ]
    scale = [int(x) for x in args.scale.split(",") if x]
    cases += [{"name": f"scale-{k}", "kind": "scale", "endpoints": k, "per_stack": args.per_stack} for k in scale]

    print(f"synth_bench: {len(cases)} cases x {n} rounds, reference = {args.ref_rev} ({ref_root})", file=sys.stderr)
    check = subprocess.run(
        [PYTHON, str(BENCH / "l1_reference_app.py"), "--check", str(ref_root)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20"},
    )
    check_text = "\n".join(l for l in check.stdout.splitlines() if not l.startswith("[WARNING]"))
    print(check_text, file=sys.stderr)
    samples: dict[str, list[dict]] = {c["name"]: [] for c in cases}
    started = time.perf_counter()
    for round_ in range(n):
        shift = round_ % len(cases)
        for case in cases[shift:] + cases[:shift]:
            sample = run_sample(case, ref_root, context)
            sample["round"] = round_
            samples[case["name"]].append(sample)
            print(f"  round {round_ + 1}/{n} {case['name']:<10} wall {sample['wall']:6.2f}s", file=sys.stderr)
    # Paired ratios need the samples of one round side by side.
    for values in samples.values():
        values.sort(key=lambda s: s["round"])
    elapsed = time.perf_counter() - started

    summary = {name: summarize(values) for name, values in samples.items()}
    ratios = {
        "ref+nag/l1": {
            "wall_medians": summary["ref+nag"]["wall_median"] / summary["l1"]["wall_median"],
            "wall_paired": paired_ratio(samples["ref+nag"], samples["l1"], "wall"),
            "cpu_medians": summary["ref+nag"]["cpu_median"] / summary["l1"]["cpu_median"],
        },
        "ref/l1": {
            "wall_medians": summary["ref"]["wall_median"] / summary["l1"]["wall_median"],
            "wall_paired": paired_ratio(samples["ref"], samples["l1"], "wall"),
            "cpu_medians": summary["ref"]["cpu_median"] / summary["l1"]["cpu_median"],
        },
    }
    for key in ("py_maxrss_kb", "node_hwm_kb"):
        for pair, (a, b) in (("ref+nag/l1", ("ref+nag", "l1")), ("ref/l1", ("ref", "l1"))):
            if summary[a][f"{key}_median"] and summary[b][f"{key}_median"]:
                ratios[pair][key.split("_")[0] + "_rss"] = summary[a][f"{key}_median"] / summary[b][f"{key}_median"]

    scaling = {}
    if scale:
        points = [(s["endpoints"], x["wall"]) for s in cases if s["kind"] == "scale" for x in samples[s["name"]]]
        inner = [
            (s["endpoints"], x["construct"] + x["synth"]) for s in cases if s["kind"] == "scale" for x in samples[s["name"]]
        ]
        cpu = [(s["endpoints"], x["cpu"]) for s in cases if s["kind"] == "scale" for x in samples[s["name"]]]
        scaling = (
            {"wall_fit": linear_fit(points), "cpu_fit": linear_fit(cpu), "construct_synth_fit": linear_fit(inner)}
            if len(scale) > 1
            else {}
        )
        rows = []
        for k in scale:
            s = summary[f"scale-{k}"]
            rows.append({"endpoints": k, "wall": s["wall_median"], "construct_synth": s["construct_median"] + s["synth_median"]})
        for prev, cur in zip(rows, rows[1:]):
            cur["marginal_s_per_endpoint"] = (cur["construct_synth"] - prev["construct_synth"]) / (cur["endpoints"] - prev["endpoints"])
        scaling["rows"] = rows

    report = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rounds": n,
        "ref_rev": args.ref_rev,
        "ref_root": str(ref_root),
        "resource_check": {"equal_counts": check.returncode == 0, "output": check_text},
        "elapsed_s": elapsed,
        "machine": {"cpus": os.cpu_count(), "loadavg_end": os.getloadavg()},
        "summary": summary,
        "ratios": ratios,
        "scaling": scaling,
        "samples": samples,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(render(report, cases))
    print(f"\n(JSON: {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}; "
          f"{len(cases)} cases x {n} rounds in {elapsed:.0f}s)")
    return 0


def render(report: dict, cases: list[dict]) -> str:
    s, r = report["summary"], report["ratios"]
    check = report["resource_check"]
    lines = [
        f"### Synth (reference = {report['ref_rev']}, N={report['rounds']} interleaved, medians)",
        "",
        "Resource check, reference vs L1: "
        + ("equal resource-type counts" if check["equal_counts"] else "DIFFERENT resource-type counts"),
        "",
        *(f"    {line}" for line in check["output"].splitlines()),
        "",
        "| case | wall s | min–max s | CPU s | import s | construct s | synth s | exit s | py RSS MB | node RSS MB | resources |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in cases:
        x = s[case["name"]]
        resources = sum(v["resources"] for v in (x["stacks"] or {}).values()) if x["stacks"] else None
        lines.append(
            f"| {case['name']} | {fmt(x['wall_median'])} | {fmt(x['wall_min'])}–{fmt(x['wall_max'])} | "
            f"{fmt(x['cpu_median'])} | {fmt(x['import_median'])} | {fmt(x['construct_median'])} | "
            f"{fmt(x['synth_median'])} | {fmt(x['exit_median'])} | {mb(x['py_maxrss_kb_median'])} | {mb(x['node_hwm_kb_median'])} | "
            f"{'-' if resources is None else resources} |"
        )
    lines += ["", "| ratio | wall (medians) | wall (paired) | CPU | py RSS | node RSS |", "|---|---:|---:|---:|---:|---:|"]
    for name, x in r.items():
        lines.append(
            f"| {name} | {fmt(x['wall_medians'])} | {fmt(x['wall_paired'])} | {fmt(x['cpu_medians'])} | "
            f"{fmt(x.get('py_rss'))} | {fmt(x.get('node_rss'))} |"
        )
    scaling = report["scaling"]
    if scaling.get("rows"):
        lines += [
            "",
            "| endpoints | stacks | resources | budget warnings | wall s | construct+synth s | s/endpoint | marginal s/endpoint |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in scaling["rows"]:
            x = s[f"scale-{row['endpoints']}"]
            stacks = x["stacks"] or {}
            lines.append(
                f"| {row['endpoints']} | {len(stacks)} | {sum(v['resources'] for v in stacks.values())} | "
                f"{sum(v['budget_warnings'] for v in stacks.values())} | {fmt(row['wall'])} | "
                f"{fmt(row['construct_synth'])} | {fmt(row['construct_synth'] / row['endpoints'], 3)} | "
                f"{fmt(row.get('marginal_s_per_endpoint'), 3)} |"
            )
        for key, label in (("wall_fit", "wall"), ("cpu_fit", "CPU"), ("construct_synth_fit", "construct+synth")):
            if key in scaling:
                f = scaling[key]
                lines.append(
                    f"{'' if lines[-1].lstrip().startswith('Linear') else chr(10)}Linear fit ({label}, all samples): "
                    f"{f['intercept']:.2f} s + {f['slope']:.3f} s/endpoint, R² = {f['r2']:.3f}"
                )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
