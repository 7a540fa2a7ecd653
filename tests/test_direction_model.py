"""Tests for sktemporal.market.direction_model: the refitted model, its prediction and files."""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sktemporal.market.direction_model import DirectionModel, pipeline_path
from tests._market_fixtures import (
    N_ROWS,
    SEQUENCE_LENGTH,
    WARMUP,
)


def test_final_model_predicts_every_row_with_a_full_window(evaluation_prices, evaluation_run):
    frame = evaluation_run.model.predict_proba_frame(evaluation_prices)

    assert frame.columns.tolist() == ["predicted_class", "proba_-1", "proba_0", "proba_1"]
    assert len(frame) == N_ROWS - WARMUP - SEQUENCE_LENGTH + 1
    pd.testing.assert_index_equal(
        frame.index, evaluation_prices.index[WARMUP + SEQUENCE_LENGTH - 1 :]
    )
    proba = frame.iloc[:, 1:].to_numpy()
    assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert_array_equal(frame["predicted_class"], np.array([-1, 0, 1])[proba.argmax(axis=1)])
    assert evaluation_run.model.trained_on["n_samples"] == N_ROWS - WARMUP - 1 - (
        SEQUENCE_LENGTH - 1
    )


def test_final_prediction_uses_no_future_prices(evaluation_prices, evaluation_run):
    cut = N_ROWS - 20
    perturbed = evaluation_prices.copy()
    perturbed.iloc[cut:, :] *= 1.5

    before = evaluation_run.model.predict_proba_frame(evaluation_prices)
    after = evaluation_run.model.predict_proba_frame(perturbed)
    pd.testing.assert_frame_equal(
        before.loc[: evaluation_prices.index[cut - 1]],
        after.loc[: evaluation_prices.index[cut - 1]],
    )


def test_save_and_load_round_trip_without_pickle(evaluation_prices, evaluation_run, tmp_path):
    path = tmp_path / "model.keras"
    sidecar = evaluation_run.model.save(path)

    assert sidecar == pipeline_path(path) == tmp_path / "model.keras.pipeline.json"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".model.keras.lock") == [
        "model.keras",
        "model.keras.pipeline.json",
    ]
    description = json.loads(sidecar.read_text())
    assert_allclose(description["scaler"]["mean"], evaluation_run.model.scaler.mean_, rtol=0)
    assert description["sequence_length"] == SEQUENCE_LENGTH
    assert description["classes"] == ["-1", "0", "1"]
    loaded = DirectionModel.load(path)
    pd.testing.assert_frame_equal(
        loaded.predict_proba_frame(evaluation_prices),
        evaluation_run.model.predict_proba_frame(evaluation_prices),
    )


def test_load_refuses_a_model_without_its_own_pipeline_file(evaluation_run, tmp_path):
    path = tmp_path / "model.keras"
    evaluation_run.model.save(path)
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(ValueError, match="not the model file"):
        DirectionModel.load(path)
    pipeline_path(path).unlink()
    with pytest.raises(FileNotFoundError, match="no preprocessing file"):
        DirectionModel.load(path)


def test_a_damaged_or_swapped_model_file_is_called_that(evaluation_run, tmp_path):
    path = tmp_path / "model.keras"
    evaluation_run.model.save(path)
    whole = path.read_bytes()

    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match="is truncated or corrupt: not a complete .keras"):
        DirectionModel.load(path)
    # A flipped byte inside the weights: the archive still opens, a member's CRC fails.
    damaged = bytearray(whole)
    damaged[len(whole) // 2] ^= 0xFF
    path.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match=r"is (truncated or )?corrupt"):
        DirectionModel.load(path)
    # A whole, readable archive, but not the one the preprocessing file was written with.
    path.write_bytes(whole)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("note.txt", "another file")
    with pytest.raises(ValueError, match="is not the model file that"):
        DirectionModel.load(path)
