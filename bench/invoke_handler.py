"""Bench the invoke_endpoint Lambda handler: cold-start import cost and per-request overhead.

    .venv/bin/python bench/invoke_handler.py [--cold N] [--warm N]

Cold start: `import invoke_endpoint` (which builds its SageMaker client at import, as in Lambda) against a bare
`import boto3`, each in a fresh interpreter, interleaved so that machine noise hits both alike. Goal: ratio <= 1.15.

Warm overhead: one handler call against one raw `invoke_endpoint` call made with a client of the same configuration,
interleaved, both against the same local moto server (goal: ratio <= 1.10, median overhead < 1 ms). A second pair
replaces the network with a canned HTTP response (botocore `before-send`), which isolates the handler's own cost
from moto's latency and its noise.

Prints a table and writes bench/out/invoke_handler.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
HANDLER_DIR = ROOT / "lambda" / "invoke_endpoint"
OUT = ROOT / "bench" / "out" / "invoke_handler.json"
ENDPOINT = "bench-endpoint"
FAKE_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "ENDPOINT_NAME": ENDPOINT,
}
GOALS = {"cold_ratio": 1.15, "warm_ratio": 1.10, "warm_overhead_ms": 1.0}

_TIMED_IMPORT = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
# What a typical handler pays at import: boto3 plus one client (for context; not part of the goal).
_BOTO3_AND_CLIENT = (
    "import boto3; from botocore.config import Config; "
    "boto3.client('sagemaker-runtime', config=Config(retries={'mode': 'standard', 'max_attempts': 3}))"
)


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(FAKE_ENV)
    env["PYTHONPATH"] = str(HANDLER_DIR)
    return env


def _import_seconds(code: str, env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _TIMED_IMPORT.format(code=code)],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def bench_cold(n: int) -> dict[str, Any]:
    env = _child_env()
    kinds = [("import boto3", []), ("import invoke_endpoint", []), (_BOTO3_AND_CLIENT, [])]
    for code, _ in kinds:  # compile .pyc files and warm the page cache first
        _import_seconds(code, env)
    for i in range(n):
        order = kinds[i % 3 :] + kinds[: i % 3]  # rotate which goes first
        for code, samples in order:
            samples.append(_import_seconds(code, env))
    boto3_s, handler_s, client_s = (samples for _, samples in kinds)
    boto3_ms = statistics.median(boto3_s) * 1000
    handler_ms = statistics.median(handler_s) * 1000
    return {
        "n": n,
        "import_boto3_median_ms": round(boto3_ms, 2),
        "import_handler_median_ms": round(handler_ms, 2),
        "import_boto3_plus_client_median_ms": round(statistics.median(client_s) * 1000, 2),
        "ratio": round(handler_ms / boto3_ms, 3),
        "goal_ratio": GOALS["cold_ratio"],
        "boto3_samples_ms": [round(s * 1000, 2) for s in boto3_s],
        "handler_samples_ms": [round(s * 1000, 2) for s in handler_s],
    }


def _interleave(n: int, warmup: int, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[list, list]:
    for _ in range(warmup):
        first()
        second()
    a, b = [], []
    clock = time.perf_counter
    for i in range(n):
        order = ((first, a), (second, b)) if i % 2 == 0 else ((second, b), (first, a))
        for fn, samples in order:
            t = clock()
            fn()
            samples.append(clock() - t)
    return a, b


def _summary(handler_s: list[float], raw_s: list[float]) -> dict[str, Any]:
    handler_ms = statistics.median(handler_s) * 1000
    raw_ms = statistics.median(raw_s) * 1000
    return {
        "n": len(handler_s),
        "handler_median_ms": round(handler_ms, 3),
        "raw_boto3_median_ms": round(raw_ms, 3),
        "ratio": round(handler_ms / raw_ms, 3),
        "overhead_median_ms": round(handler_ms - raw_ms, 3),
        "handler_p90_ms": round(sorted(handler_s)[int(len(handler_s) * 0.9)] * 1000, 3),
        "raw_boto3_p90_ms": round(sorted(raw_s)[int(len(raw_s) * 0.9)] * 1000, 3),
    }


def _raw_boto3_client(**kwargs: Any) -> Any:
    """The baseline: a plain boto3 client with the handler's botocore Config."""
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=70)
    return boto3.client("sagemaker-runtime", config=config, **kwargs)


def bench_warm(n: int) -> dict[str, Any]:
    os.environ.update(FAKE_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    sys.path[:0] = [str(HANDLER_DIR), str(ROOT / "tests")]
    import invoke_endpoint  # noqa: PLC0415 - imported once the environment is set, as Lambda would
    from moto_server import queue_sagemaker_results, start, stop  # noqa: PLC0415

    # Production log level (INFO), one JSON line per request, written to /dev/null instead of the terminal.
    for log_handler in invoke_endpoint.LOGGER.handlers:
        log_handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - lives as long as the process

    body_csv = "5.1,3.5,1.4,0.2"
    event = {
        "resource": "/invocations",
        "path": "/invocations",
        "httpMethod": "POST",
        "headers": {"Content-Type": "text/csv", "Accept": "text/csv", "X-Target-Variant": "champion"},
        "multiValueHeaders": {"Content-Type": ["text/csv"], "Accept": ["text/csv"], "X-Target-Variant": ["champion"]},
        "queryStringParameters": None,
        "requestContext": {"requestId": "bench"},
        "body": body_csv,
        "isBase64Encoded": False,
    }
    params = {
        "EndpointName": ENDPOINT,
        "Body": body_csv.encode(),
        "ContentType": "text/csv",
        "Accept": "text/csv",
        "TargetVariant": "champion",
    }

    class Context:
        aws_request_id = "bench-request"

        @staticmethod
        def get_remaining_time_in_millis() -> int:
            return 29_000

    results: dict[str, Any] = {}
    proc, url = start()
    try:
        queue_sagemaker_results(
            url, [{"Body": "0.87", "ContentType": "text/csv", "InvokedProductionVariant": "champion"}]
        )
        invoke_endpoint.CLIENT = invoke_endpoint.make_client(endpoint_url=url)
        raw = _raw_boto3_client(endpoint_url=url)

        def via_handler() -> None:
            assert invoke_endpoint.handler(event, Context())["statusCode"] == 200

        def via_raw() -> None:
            raw.invoke_endpoint(**params)["Body"].read()

        results["moto_http"] = _summary(*_interleave(n, 30, via_handler, via_raw))
    finally:
        stop(proc)

    # Same pair without the network: both clients answer from a canned HTTP response.
    from urllib3.response import HTTPResponse  # noqa: PLC0415
    from botocore.awsrequest import AWSResponse  # noqa: PLC0415

    def canned(request: Any, **_: Any) -> AWSResponse:
        raw_body = HTTPResponse(
            body=io.BytesIO(b"0.87"),
            headers={"Content-Type": "text/csv", "x-Amzn-Invoked-Production-Variant": "champion"},
            status=200,
            preload_content=False,
        )
        return AWSResponse(request.url, 200, raw_body.headers, raw_body)

    invoke_endpoint.CLIENT = invoke_endpoint.make_client()
    raw = _raw_boto3_client()
    for client in (invoke_endpoint.CLIENT, raw):
        client.meta.events.register("before-send.sagemaker-runtime", canned)

    def via_handler_canned() -> None:
        assert invoke_endpoint.handler(event, Context())["statusCode"] == 200

    def via_raw_canned() -> None:
        raw.invoke_endpoint(**params)["Body"].read()

    results["canned_http"] = _summary(*_interleave(n, 30, via_handler_canned, via_raw_canned))
    results["goals"] = {"ratio": GOALS["warm_ratio"], "overhead_median_ms": GOALS["warm_overhead_ms"]}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=21, help="fresh-interpreter imports of each kind (>= 15)")
    parser.add_argument("--warm", type=int, default=400, help="requests of each kind (>= 200)")
    args = parser.parse_args()

    import botocore  # noqa: PLC0415

    cold = bench_cold(args.cold)
    warm = bench_warm(args.warm)
    report = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "botocore": botocore.__version__,
        },
        "cold_start": cold,
        "warm": warm,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2) + "\n")

    def verdict(ok: bool) -> str:
        return "meets goal" if ok else "MISSES goal"

    cold_ok = verdict(cold["ratio"] <= GOALS["cold_ratio"])
    rows = [
        ("cold: import boto3 (median)", f"{cold['import_boto3_median_ms']:.1f} ms", f"n={cold['n']}"),
        ("cold: import invoke_endpoint (median)", f"{cold['import_handler_median_ms']:.1f} ms", f"n={cold['n']}"),
        ("cold: import boto3 + boto3.client() (context)", f"{cold['import_boto3_plus_client_median_ms']:.1f} ms", ""),
        ("cold: ratio", f"{cold['ratio']:.3f}x", f"goal <= {GOALS['cold_ratio']} ({cold_ok})"),
    ]
    for name, label in (("moto_http", "moto over HTTP"), ("canned_http", "canned response")):
        w = warm[name]
        ratio_ok = verdict(w["ratio"] <= GOALS["warm_ratio"])
        overhead_ok = verdict(w["overhead_median_ms"] < GOALS["warm_overhead_ms"])
        rows += [
            (f"warm/{label}: handler (median)", f"{w['handler_median_ms']:.3f} ms", f"n={w['n']}"),
            (f"warm/{label}: raw invoke_endpoint (median)", f"{w['raw_boto3_median_ms']:.3f} ms", ""),
            (f"warm/{label}: ratio", f"{w['ratio']:.3f}x", f"goal <= {GOALS['warm_ratio']} ({ratio_ok})"),
            (
                f"warm/{label}: overhead (median)",
                f"{w['overhead_median_ms']:.3f} ms",
                f"goal < {GOALS['warm_overhead_ms']} ms ({overhead_ok})",
            ),
        ]
    width = max(len(r[0]) for r in rows)
    for metric, value, note in rows:
        print(f"{metric:<{width}}  {value:>12}  {note}")
    print(f"\nwrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
