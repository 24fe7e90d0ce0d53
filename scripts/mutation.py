#!/usr/bin/env python3
"""`make mutation`: mutation testing of the Lambda handlers and the validation modules with mutmut.

Each target is staged in .mutation/<target>/ so that mutmut sees the module under the name the tests import it by
(handlers are imported as top-level modules, the validation modules as sagemaker_cdk.core.*), together with the
tests that exercise it. One moto server serves every forked test session (MOTO_SERVER_URL).

    .venv/bin/python scripts/mutation.py                 # every target, then mutation/scores/<target>.json
    .venv/bin/python scripts/mutation.py invoke_endpoint # one target
    .venv/bin/python scripts/mutation.py invoke_endpoint --survivors  # after adding tests: re-test only the
                                                         # previous run's survivors and untested mutants

Scores are killed / (killed + survived + no tests + timeout + suspicious). Lines matching DO_NOT_MUTATE (logging
calls and the like, whose text is not behaviour) are not mutated; mutation/ACCEPTED.md lists the survivors that are
left on purpose. The run is too slow for `make test` on 2 cores; its results are committed and the README's Tests
section is generated from them (scripts/readme_figures.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / ".mutation"
SCORES = ROOT / "mutation" / "scores"  # one <target>.json per target
sys.path.insert(0, str(ROOT / "tests"))

# Lines whose mutation changes no behaviour a caller can rely on: log statements and their field dicts.
DO_NOT_MUTATE = [r"^\s*LOGGER\.", r"^\s*logger\.", r"^\s*log\.(debug|info|warning)\(",
                 # registry_resolver and studio_teardown name their logger LOG; these lines only log (single-line
                 # calls whose arguments are json.dumps of plain dicts or %-format values: nothing on them can raise).
                 r"^\s*LOG\.(info|exception)\("]


@dataclass(frozen=True)
class Target:
    name: str
    goal: float
    sources: tuple[tuple[str, str], ...]  # (repository path, staged path); the first one is mutated
    tests: tuple[str, ...]  # repository paths copied into the stage's tests/
    mutate: tuple[str, ...]  # staged paths to mutate


HANDLER_TEST_SUPPORT = ("tests/moto_server.py", "tests/handlers/conftest.py", "tests/handlers/invoke_helpers.py")
# Every other handler's stage also needs invoke_endpoint.py (unmutated): tests/handlers/conftest.py imports it.
OTHER_HANDLER_SUPPORT = HANDLER_TEST_SUPPORT + ("lambda/invoke_endpoint/invoke_endpoint.py",)

TARGETS = {
    t.name: t
    for t in (
        Target(
            "invoke_endpoint",
            0.90,
            (("lambda/invoke_endpoint/invoke_endpoint.py", "invoke_endpoint.py"),),
            HANDLER_TEST_SUPPORT + (
                "tests/handlers/test_invoke_endpoint_errors.py",
                "tests/handlers/test_invoke_endpoint_pinned.py",
                "tests/handlers/test_invoke_endpoint_client.py",
                "tests/handlers/test_invoke_endpoint_http.py",
                "tests/handlers/test_invoke_endpoint_contract.py",
            ),
            ("invoke_endpoint.py",),
        ),
        Target(
            "batch_transform_trigger",
            0.90,
            (("lambda/batch_transform_trigger/batch_transform_trigger.py", "batch_transform_trigger.py"),),
            OTHER_HANDLER_SUPPORT + (
                "tests/handlers/conftest_batch.py",
                "tests/handlers/test_batch_transform_trigger_events.py",
                "tests/handlers/test_batch_transform_trigger_names.py",
                "tests/handlers/test_batch_transform_trigger_http.py",
                "tests/handlers/test_batch_transform_trigger_contract.py",
            ),
            ("batch_transform_trigger.py",),
        ),
        Target(
            "neo_compile",
            0.90,
            (("lambda/neo_compile/neo_compile.py", "neo_compile.py"),),
            OTHER_HANDLER_SUPPORT + ("tests/handlers/test_neo_compile.py", "tests/handlers/test_neo_compile_contract.py"),
            ("neo_compile.py",),
        ),
        Target(
            "labeling_manifest",
            0.90,
            (("lambda/labeling_manifest/labeling_manifest.py", "labeling_manifest.py"),),
            OTHER_HANDLER_SUPPORT + (
                "tests/handlers/test_labeling_manifest.py",
                "tests/handlers/test_labeling_manifest_contract.py",
            ),
            ("labeling_manifest.py",),
        ),
        Target(
            "registry_resolver",
            0.90,
            (("lambda/registry_resolver/registry_resolver.py", "registry_resolver.py"),),
            OTHER_HANDLER_SUPPORT + (
                "tests/handlers/test_registry_resolver.py",
                "tests/handlers/test_registry_resolver_contract.py",
            ),
            ("registry_resolver.py",),
        ),
        Target(
            "scaling_guard",
            0.90,
            (("lambda/scaling_guard/scaling_guard.py", "scaling_guard.py"),),
            OTHER_HANDLER_SUPPORT + (
                "tests/handlers/test_scaling_guard_handler.py",
                "tests/handlers/test_scaling_guard_contract.py",
            ),
            ("scaling_guard.py",),
        ),
        Target(
            "studio_teardown",
            0.90,
            (("lambda/studio_teardown/studio_teardown.py", "studio_teardown.py"),),
            OTHER_HANDLER_SUPPORT + (
                "tests/handlers/test_studio_teardown.py",
                "tests/handlers/test_studio_teardown_contract.py",
            ),
            ("studio_teardown.py",),
        ),
        Target(
            "validation",
            0.85,
            (("constructs/sagemaker_cdk", "sagemaker_cdk"),),
            ("tests/unit/test_validation_module.py",),
            ("sagemaker_cdk/core/_validation.py",),
        ),
        Target(
            "types",
            0.85,
            (("constructs/sagemaker_cdk", "sagemaker_cdk"),),
            ("tests/unit/test_types_module.py",),
            ("sagemaker_cdk/core/_types.py",),
        ),
    )
}

PYPROJECT = """\
[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = [".", "tests"]
addopts = "-q -p no:cacheprovider -p no:randomly"
filterwarnings = ["ignore::DeprecationWarning"]

[tool.mutmut]
source_paths = {mutate}
also_copy = {also_copy}
pytest_add_cli_args_test_selection = ["tests"]
do_not_mutate_patterns = {patterns}
"""


def stage(target: Target) -> Path:
    work = STAGE / target.name
    shutil.rmtree(work, ignore_errors=True)
    (work / "tests").mkdir(parents=True)
    for source, staged in target.sources:
        src = ROOT / source
        if src.is_dir():
            shutil.copytree(src, work / staged, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, work / staged)
    _copy_tests(target, work)
    also_copy = [staged for _, staged in target.sources if (work / staged).is_dir()]
    (work / "pyproject.toml").write_text(
        PYPROJECT.format(
            mutate=json.dumps(list(target.mutate)),
            also_copy=json.dumps(also_copy),
            patterns=json.dumps(DO_NOT_MUTATE),
        )
    )
    return work


def _copy_tests(target: Target, work: Path) -> None:
    for test in target.tests:
        shutil.copy2(ROOT / test, work / "tests" / Path(test).name)


def _origin(target: Target, mutated: str) -> Path:
    """The repository file a staged, mutated path was copied from (a file source, or a file inside a directory one)."""
    for source, staged in target.sources:
        if mutated == staged or mutated.startswith(staged + "/"):
            return ROOT / source / mutated[len(staged):].lstrip("/")
    raise ValueError(f"{mutated} is not under any source of {target.name}")


def restage_tests(target: Target) -> Path:
    """Keep the stage and its mutants' results; copy the target's tests again (the mutated files must not change)."""
    work = STAGE / target.name
    for mutated in target.mutate:
        origin = _origin(target, mutated)
        if origin.read_bytes() != (work / mutated).read_bytes():
            raise SystemExit(f"{origin.relative_to(ROOT)} changed since the last run: run the target again without "
                             "--survivors")
    _copy_tests(target, work)
    # mutmut re-collects which tests reach which function only for tests it has not seen; a changed test keeps its
    # old coverage, and a mutant it now reaches would count as untested or survive. Collect it all again.
    (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    return work


# mutmut's exit codes that settle a mutant (mutmut/stats.py): killed (1, 3), skipped (34), caught by type check (37).
# Everything else is re-tested: survived (0), not run (None), no tests (5, 33), timeouts, suspicious.
_SETTLED = {1, 3, 34, 37}


def previous_open(work: Path) -> list[str]:
    """The mutants of the last run that were not killed: survivors, untested ones, timeouts."""
    names = []
    for meta in (work / "mutants").rglob("*.meta"):
        codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        names += [name for name, code in codes.items() if code not in _SETTLED]
    return sorted(names)


def _mutmut_run(target: Target, work: Path, command: list[str], env: dict[str, str]) -> None:
    """Run mutmut with its output in <stage>/mutmut.log; stop, rather than record a stale score, if it gave up.

    mutmut gives up before the first mutant when the unmutated tests fail ("Failed to run clean test"): a test that
    fails in the stage, or one that only passes once per process (mutmut runs the tests twice in one process, for
    its coverage statistics and then clean). The previous run's results would then be reported as if current.
    """
    log = work / "mutmut.log"
    with log.open("w") as out:
        done = subprocess.run(command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    text = log.read_text(errors="replace").replace("\r", "\n")
    if done.returncode != 0 or "Failed to run clean test" in text or "failed to collect stats" in text.lower():
        tail = "\n".join(line for line in text.splitlines()[-40:] if line.strip())
        raise SystemExit(f"mutation: {target.name}: mutmut stopped (exit {done.returncode}); no score written. "
                         f"Its output: {log.relative_to(ROOT)}\n{tail}")


def run(target: Target, children: int, survivors_only: bool = False) -> dict:
    mutmut = [sys.executable, "-m", "mutmut"]
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "18,20",
           "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "18,20"}
    started = time.monotonic()
    if survivors_only and (STAGE / target.name / "mutants").is_dir():
        work = restage_tests(target)
        again = previous_open(work)
        if again:
            _mutmut_run(target, work, [*mutmut, "run", "--max-children", str(children), *again], env)
    else:
        work = stage(target)
        _mutmut_run(target, work, [*mutmut, "run", "--max-children", str(children)], env)
    subprocess.run([*mutmut, "export-cicd-stats"], cwd=work, env=env, stdout=subprocess.DEVNULL, check=True)
    stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
    results = subprocess.run([*mutmut, "results"], cwd=work, env=env, capture_output=True, text=True, check=True)
    survivors = sorted(line.split(":")[0].strip() for line in results.stdout.splitlines() if ": survived" in line)
    tested = stats["killed"] + stats["survived"] + stats["no_tests"] + stats["timeout"] + stats["suspicious"]
    return {
        "module": target.mutate[0],
        "goal": target.goal,
        "killed": stats["killed"],
        "survived": stats["survived"],
        "no_tests": stats["no_tests"],
        "timeout": stats["timeout"],
        "total": stats["total"],
        "score": round(stats["killed"] / tested, 4) if tested else 0.0,
        "seconds": round(time.monotonic() - started),
        "survivors": survivors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("targets", nargs="*", default=[], metavar="TARGET", help=f"any of {', '.join(TARGETS)}")
    parser.add_argument("--children", type=int, default=1, help="parallel mutant runs (default 1: shared moto)")
    parser.add_argument("--survivors", action="store_true",
                        help="keep the last run's stage and re-test only its survivors and untested mutants")
    args = parser.parse_args(argv)
    names = args.targets or list(TARGETS)
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}: use {', '.join(TARGETS)}")

    import moto_server

    proc, url = moto_server.start()
    os.environ["MOTO_SERVER_URL"] = url
    try:
        scores = {}
        for name in names:
            print(f"mutation: {name} ...", flush=True)
            scores[name] = run(TARGETS[name], args.children, args.survivors)
            s = scores[name]
            SCORES.mkdir(parents=True, exist_ok=True)
            (SCORES / f"{name}.json").write_text(json.dumps(s, indent=1, sort_keys=True) + "\n")
            print(f"mutation: {name}: {s['score']:.1%} killed ({s['killed']} of {s['total']}, {s['survived']} "
                  f"survived, {s['no_tests']} untested) in {s['seconds']} s; goal {s['goal']:.0%}", flush=True)
    finally:
        moto_server.stop(proc)
    short = [n for n in names if scores[n]["score"] < scores[n]["goal"]]
    print(f"mutation: wrote {SCORES.relative_to(ROOT)}/" + (f"; below goal: {', '.join(short)}" if short else ""))
    return 1 if short else 0


if __name__ == "__main__":
    raise SystemExit(main())
