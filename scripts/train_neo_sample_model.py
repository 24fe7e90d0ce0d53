#!/usr/bin/env python3
"""Train the sample model that the Neo reference stack compiles: XGBoost 1.3.3, saved as a `.model` file.

Why a second artifact. SageMaker Neo compiles XGBoost models for cloud targets (ml_c5, ml_m5, ...) only up to
XGBoost 1.3.3, and only "one XGBoost model file (.model)" per archive (Neo's "Supported Instance Types and
Frameworks" page, https://docs.aws.amazon.com/sagemaker/latest/dg/neo-supported-cloud.html). The endpoint's
sample model (models/xgboost/, xgboost 1.7 for the built-in 1.7-1 image) is newer than Neo reads, so Neo gets its
own artifact: the same data (models/xgboost/sample/*.csv), the same hyperparameters, trained by xgboost 1.3.3.

xgboost 1.3.3 is not a project dependency (the project pins 1.7 for the endpoint's model). Run this script in a
throwaway virtual environment:

    python3 -m venv /tmp/xgb133 && /tmp/xgb133/bin/pip install xgboost==1.3.3 "numpy<2"
    /tmp/xgb133/bin/python scripts/train_neo_sample_model.py

It writes models/xgboost-neo/model.tar.gz holding one member, `xgboost.model` (Booster.save_model's binary
format, the format xgboost 1.3 reads and writes without a .json extension). The archive is byte-identical from
run to run for the same xgboost and numpy versions (single-threaded exact training, pinned tar and gzip headers).
"""

from __future__ import annotations

import gzip
import io
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import xgboost as xgb

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "models" / "xgboost" / "sample"
OUT = ROOT / "models" / "xgboost-neo"
MEMBER = "xgboost.model"
NEO_MAX_XGBOOST = (1, 3, 3)  # Neo's cloud-target limit (see the module docstring)

HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 3,
    "eta": 0.3,
    "min_child_weight": 1,
    "subsample": 1.0,
    "tree_method": "exact",
    "seed": 0,
    "nthread": 1,
}
NUM_ROUND = 40


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    data = np.loadtxt(path, delimiter=",", ndmin=2)
    return np.ascontiguousarray(data[:, 1:]), np.ascontiguousarray(data[:, 0])


def deterministic_tar_gz(name: str, payload: bytes) -> bytes:
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode, info.uid, info.gid = len(payload), 0, 0o644, 0, 0
        info.uname = info.gname = ""
        tar.addfile(info, io.BytesIO(payload))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, compresslevel=9, mtime=0) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def main() -> int:
    version = tuple(int(p) for p in xgb.__version__.split(".")[:3])
    if version > NEO_MAX_XGBOOST:
        print(f"xgboost {xgb.__version__} is newer than Neo compiles (<= 1.3.3): run this in a venv with "
              "xgboost==1.3.3 (see the docstring)", file=sys.stderr)
        return 2
    x_train, y_train = read_csv(SAMPLE / "train.csv")
    x_val, y_val = read_csv(SAMPLE / "validation.csv")
    dtrain, dval = xgb.DMatrix(x_train, label=y_train), xgb.DMatrix(x_val, label=y_val)
    booster = xgb.train(dict(HYPERPARAMETERS), dtrain, num_boost_round=NUM_ROUND, evals=[(dval, "validation")],
                        verbose_eval=False)
    auc = booster.eval(dval, "validation").split(":")[-1]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MEMBER
        booster.save_model(str(path))
        payload = path.read_bytes()
    OUT.mkdir(parents=True, exist_ok=True)
    archive = deterministic_tar_gz(MEMBER, payload)
    (OUT / "model.tar.gz").write_bytes(archive)
    print(f"wrote {(OUT / 'model.tar.gz').relative_to(ROOT)} ({len(archive)} bytes): {MEMBER} from xgboost "
          f"{xgb.__version__}, {NUM_ROUND} rounds, validation auc {auc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
