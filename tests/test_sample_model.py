"""The committed sample XGBoost artifact loads and predicts the way the SageMaker XGBoost 1.7-1 image does."""

from __future__ import annotations

import pickle
import tarfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "models" / "xgboost"
ARTIFACT = MODEL_DIR / "model.tar.gz"
SAMPLE = MODEL_DIR / "sample"

N_FEATURES = 5
POSITIVE_ROW = "0.9,-0.8,0.7,0.0,0.0"  # documented in models/xgboost/README.md
NEGATIVE_ROW = "-0.9,0.8,-0.7,0.0,0.0"


def test_xgboost_minor_matches_the_container() -> None:
    # The 1.7-1 image serves with xgboost 1.7.x; the model file format is read with the same minor.
    assert xgb.__version__.startswith("1.7"), xgb.__version__


def test_tarball_holds_exactly_the_model_file() -> None:
    assert ARTIFACT.stat().st_size < 50 * 1024
    with tarfile.open(ARTIFACT, "r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["xgboost-model"]
    assert members[0].isfile()


@pytest.fixture(scope="module")
def booster(tmp_path_factory: pytest.TempPathFactory) -> xgb.Booster:
    model_dir = tmp_path_factory.mktemp("model")
    path = model_dir / "xgboost-model"
    with tarfile.open(ARTIFACT, "r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        path.write_bytes(member.read())
    # The container tries pickle first and falls back to Booster.load_model: ours takes the fallback.
    with pytest.raises(pickle.UnpicklingError):
        with path.open("rb") as f:
            pickle.load(f)
    loaded = xgb.Booster()
    loaded.load_model(str(path))
    loaded.set_param("nthread", 1)
    return loaded


def predict_csv(booster: xgb.Booster, payload: str) -> np.ndarray:
    """Score a text/csv payload as the container does: rows split on ",", empty cells -> NaN, float DMatrix."""
    rows = [[("nan" if cell == "" else cell) for cell in line.split(",")] for line in payload.strip().split("\n")]
    dtest = xgb.DMatrix(np.array(rows).astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # ntree_limit is deprecated in 1.7, the container still passes it
        return booster.predict(dtest, ntree_limit=getattr(booster, "best_ntree_limit", 0), validate_features=False)


def test_model_shape(booster: xgb.Booster) -> None:
    assert booster.num_features() == N_FEATURES
    assert booster.num_boosted_rounds() > 0


def test_positive_and_negative_rows(booster: xgb.Booster) -> None:
    positive = float(predict_csv(booster, POSITIVE_ROW)[0])
    negative = float(predict_csv(booster, NEGATIVE_ROW)[0])
    assert 0.0 <= negative <= 1.0 and 0.0 <= positive <= 1.0
    assert positive > 0.9, positive
    assert negative < 0.1, negative
    # The values models/xgboost/README.md documents.
    assert positive == pytest.approx(0.99924, abs=1e-5)
    assert negative == pytest.approx(0.00020, abs=1e-5)


def test_predict_csv_batch(booster: xgb.Booster) -> None:
    payload = (SAMPLE / "predict.csv").read_text()
    scores = predict_csv(booster, payload)
    assert 1 <= len(scores) <= 20
    assert ((scores >= 0.0) & (scores <= 1.0)).all()


def test_sample_csv_layout_and_accuracy(booster: xgb.Booster) -> None:
    for name in ("train.csv", "validation.csv"):
        rows = [line.split(",") for line in (SAMPLE / name).read_text().splitlines()]
        assert 50 <= len(rows) <= 500
        assert all(len(r) == N_FEATURES + 1 and r[0] in ("0", "1") for r in rows), name
    validation = np.loadtxt(SAMPLE / "validation.csv", delimiter=",")
    labels, features = validation[:, 0], validation[:, 1:]
    accuracy = ((booster.predict(xgb.DMatrix(features)) > 0.5) == labels).mean()
    assert accuracy > 0.8, accuracy
    predict_rows = (SAMPLE / "predict.csv").read_text().splitlines()
    assert predict_rows and all(len(r.split(",")) == N_FEATURES for r in predict_rows)
