#!/usr/bin/env python3
"""Train the small sample XGBoost model that the built-in SageMaker XGBoost 1.7-1 image serves.

Everything is made here, offline: a seeded synthetic binary classification data set, the CSV
files for SageMaker training and batch transform, and the model artifact.

    python scripts/train_sample_model.py

writes (byte-identical on every run with the same numpy and xgboost versions):

    models/xgboost/model.tar.gz          the artifact: one member, `xgboost-model`
    models/xgboost/sample/train.csv      label first, no header (SageMaker XGBoost text/csv training)
    models/xgboost/sample/validation.csv same layout
    models/xgboost/sample/predict.csv    features only, no label (batch transform input)

The data: five numeric features x0..x4, each uniform in [-1, 1]. The label is 1 exactly when
    2.0 * x0 - 1.5 * x1 + 1.0 * x2 + noise > 0,   noise ~ Normal(0, 0.3),
so x0 and x2 push towards the positive class, x1 towards the negative class, and x3, x4 are
distractors with no effect.

Model format. The 1.7-1 serving code (sagemaker-xgboost-container, algorithm mode) loads the first
file of the extracted archive by trying `pickle.load` and, when that fails, `xgboost.Booster()
.load_model(path)`. We write with `Booster.save_model("xgboost-model")`, which is exactly what
that container's own training job writes (same file name, same call, xgboost 1.7): the path every
model trained by SageMaker takes, and the one that does not depend on unpickling (which newer
container patches may restrict and which ties the file to Python class layouts). With no ".json"
or ".ubj" extension, xgboost 1.7 writes its binary model format, which xgboost 1.7.x reads back.
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
OUT = ROOT / "models" / "xgboost"
SAMPLE = OUT / "sample"

SEED = 20240601
N_FEATURES = 5
N_TRAIN, N_VALIDATION, N_PREDICT = 300, 100, 10
WEIGHTS = np.array([2.0, -1.5, 1.0, 0.0, 0.0])
NOISE = 0.3
DECIMALS = 4  # features are rounded before training so the CSV files are the training data exactly

# The container's hyperparameter names and values; also usable for a SageMaker training job.
HYPERPARAMETERS = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 3,
    "eta": 0.3,
    "min_child_weight": 1,
    "subsample": 1.0,
    "tree_method": "exact",
    "seed": 0,
    "nthread": 1,  # single thread: bit-reproducible training
}
NUM_ROUND = 40

# Documented sample rows (README.md, tests/test_sample_model.py).
POSITIVE_ROW = "0.9,-0.8,0.7,0.0,0.0"
NEGATIVE_ROW = "-0.9,0.8,-0.7,0.0,0.0"


def make_data(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.round(rng.uniform(-1.0, 1.0, size=(n, N_FEATURES)), DECIMALS)
    y = (x @ WEIGHTS + rng.normal(0.0, NOISE, size=n) > 0).astype(np.int64)
    return x, y


def csv_text(x: np.ndarray, y: np.ndarray | None = None) -> str:
    lines = []
    for i, row in enumerate(x):
        cells = [f"{v:.{DECIMALS}f}" for v in row]
        if y is not None:
            cells.insert(0, str(int(y[i])))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def deterministic_tar_gz(name: str, payload: bytes) -> bytes:
    """A .tar.gz holding one regular file, with every varying header field pinned."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = len(payload)
        info.mtime = 0
        info.mode = 0o644
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, io.BytesIO(payload))
    gz_buffer = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of the local path and the clock.
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, compresslevel=9, mtime=0) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def predict_csv_row(booster: xgb.Booster, row: str) -> float:
    """Score one text/csv row as the container does: split, empty -> NaN, float array, DMatrix."""
    values = np.array([[("nan" if cell == "" else cell) for cell in row.split(",")]]).astype(float)
    return float(booster.predict(xgb.DMatrix(values), validate_features=False)[0])


def main() -> int:
    rng = np.random.default_rng(SEED)
    x_train, y_train = make_data(rng, N_TRAIN)
    x_val, y_val = make_data(rng, N_VALIDATION)
    x_pred, _ = make_data(rng, N_PREDICT)

    params = dict(HYPERPARAMETERS)
    dtrain = xgb.DMatrix(x_train, label=y_train)
    dval = xgb.DMatrix(x_val, label=y_val)
    booster = xgb.train(params, dtrain, num_boost_round=NUM_ROUND, evals=[(dval, "validation")], verbose_eval=False)
    val_auc = booster.eval(dval, "validation").split(":")[-1]
    val_accuracy = float(((booster.predict(dval) > 0.5) == y_val).mean())

    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "xgboost-model"
        booster.save_model(str(model_path))
        model_bytes = model_path.read_bytes()
        reloaded = xgb.Booster()
        reloaded.load_model(str(model_path))

    SAMPLE.mkdir(parents=True, exist_ok=True)
    written = {
        OUT / "model.tar.gz": deterministic_tar_gz("xgboost-model", model_bytes),
        SAMPLE / "train.csv": csv_text(x_train, y_train).encode(),
        SAMPLE / "validation.csv": csv_text(x_val, y_val).encode(),
        SAMPLE / "predict.csv": csv_text(x_pred).encode(),
    }
    for path, content in written.items():
        path.write_bytes(content)
        print(f"wrote {path.relative_to(ROOT)} ({len(content)} bytes)")

    print(f"xgboost {xgb.__version__}, {NUM_ROUND} rounds, validation auc {val_auc}, accuracy {val_accuracy:.3f}")
    for row in (POSITIVE_ROW, NEGATIVE_ROW):
        print(f"text/csv {row!r} -> {predict_csv_row(reloaded, row):.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
