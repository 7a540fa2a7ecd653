"""Tests for sktemporal.market.saved_run: a train run's files read back, and their backtest."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktemporal.market.out_of_sample import backtest_predictions, read_oos_predictions
from sktemporal.market.saved_run import TrainingRunFiles, backtest_model, load_evaluation
from tests.conftest import TINY_TRAIN_ROWS


def test_load_evaluation_checks_the_prices(saved):
    model, prices, _ = saved

    evaluation = load_evaluation(model, prices)
    assert evaluation.pipeline["trained_on"]["data_source"].endswith("prices.csv")
    with pytest.raises(ValueError, match="not the bundled S&P 500"):
        load_evaluation(model)
    shifted = prices.copy()
    shifted.iloc[150:, :4] *= 1.02 ** np.arange(TINY_TRAIN_ROWS - 150)[:, None]
    with pytest.raises(ValueError, match="other labels than the model was evaluated on"):
        load_evaluation(model, shifted)


def test_backtest_model_uses_the_saved_out_of_sample_predictions(saved):
    model, prices, threshold = saved
    predictions = read_oos_predictions(f"{model}.oos.csv")

    result = backtest_model(model, prices, threshold=threshold)
    expected = backtest_predictions(predictions, prices["close"], threshold=threshold)

    pd.testing.assert_frame_equal(result.summary(), expected.summary())
    assert result.positions.index.equals(predictions.index)
    assert 0 < result.n_acted < result.n_days


_WRITE_RUNS = """
import sys
from pathlib import Path
from sktemporal.market.saved_run import TrainingRunFiles

source, target, writer = sys.argv[1:]
model = TrainingRunFiles(source).load_model()
csv = Path(source + ".oos.csv").read_text(encoding="utf-8")
if writer == "B":  # other predictions: one row fewer
    header, first, rest = csv.split("\\n", 2)
    csv = header + "\\n" + rest
model.trained_on["writer"] = writer
report = {"model_metrics": {}, "baseline_metrics": {}, "folds": [], "writer": writer}
for _ in range(15):
    TrainingRunFiles(target).write(model, csv, report)
"""


def test_two_runs_written_to_one_path_at_once_leave_one_whole_run(saved, tmp_path):
    model, prices, _ = saved
    target = tmp_path / "shared.keras"
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITE_RUNS, str(model), str(target), writer])
        for writer in "AB"
    ]
    assert [writer.wait(timeout=300) for writer in writers] == [0, 0]

    files = TrainingRunFiles(target)
    evaluation = files.read_evaluation(prices)  # the predictions are the pipeline's
    report = files.read_report()  # the report is about this model file
    writer = evaluation.pipeline["trained_on"]["writer"]
    assert report["writer"] == writer
    assert len(evaluation.predictions) == len(read_oos_predictions(f"{model}.oos.csv")) - (
        writer == "B"
    )
    assert files.load_model().trained_on["writer"] == writer
    assert sorted(path.name for path in tmp_path.iterdir() if not path.name.startswith(".")) == [
        "shared.keras",
        "shared.keras.oos.csv",
        "shared.keras.pipeline.json",
        "shared.keras.report.json",
    ]
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == [
        ".shared.keras.lock"
    ]


def test_files_from_another_run_are_named(saved, tmp_path):
    model, prices, _ = saved
    first, second = TrainingRunFiles(tmp_path / "a.keras"), TrainingRunFiles(tmp_path / "b.keras")
    loaded = TrainingRunFiles(model).load_model()
    csv = Path(f"{model}.oos.csv").read_text(encoding="utf-8")
    report = {"model_metrics": {}, "baseline_metrics": {}, "folds": []}
    first.write(loaded, csv, report)
    second.write(loaded, csv.replace("\n", "\r\n"), report)

    other_model = json.loads(first.report.read_text()) | {"model_sha256": "0" * 64}
    (tmp_path / "other.json").write_text(json.dumps(other_model))
    with pytest.raises(ValueError, match="the report of another model"):
        second.read_report(tmp_path / "other.json")
    second.predictions.write_bytes(first.predictions.read_bytes())
    with pytest.raises(ValueError, match="not the predictions file that was written with"):
        second.read_evaluation(prices)
    with pytest.raises(ValueError, match="must end in '.keras'"):
        TrainingRunFiles(tmp_path / "model.h5")
    with pytest.raises(ValueError, match="is a file the model needs"):
        TrainingRunFiles(first.model, first.predictions)
