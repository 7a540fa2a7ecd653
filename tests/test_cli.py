"""Tests for the ``sktemporal`` command, run in-process through ``main``."""

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sktemporal.cli import main
from sktemporal.market.datasets import load_sp500
from sktemporal.market.features import TechnicalIndicators
from sktemporal.market.out_of_sample import read_oos_predictions
from sktemporal.market.sweep import threshold_sweep

N_ROWS, SEQUENCE_LENGTH, N_SPLITS = 300, 10, 2
TINY = [
    "--epochs", "1", "--sequence-length", str(SEQUENCE_LENGTH), "--n-splits", str(N_SPLITS),
    "--stem-filters", "4", "--stem-kernel-sizes", "3",
]  # fmt: skip
TINY_LSTM = [*TINY, "--lstm-units", "4", "--attention-units", "4", "--dense-units", "4"]
N_PREDICTIONS = N_ROWS - TechnicalIndicators.warmup_rows - SEQUENCE_LENGTH + 1


def run(argv):
    """``main(argv)`` with its output captured: (exit status, stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(argv)
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def prices_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "prices.csv"
    load_sp500().iloc[:N_ROWS].to_csv(path)
    return path


@pytest.fixture(scope="module")
def trained(prices_csv, tmp_path_factory):
    """One tiny ``sktemporal train`` run with progress output: (folder, status, out, err)."""
    folder = tmp_path_factory.mktemp("trained")
    argv = ["train", "--data-path", str(prices_csv), "--model-path", str(folder / "m.keras")]
    return (folder, *run([*argv, *TINY_LSTM]))


def assert_one_line_error(status, err, match):
    lines = err.strip().splitlines()
    assert status == 2
    assert len(lines) == 1, err
    assert lines[0].startswith("sktemporal: error: ")
    assert match in lines[0]
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- train


def test_train_writes_model_pipeline_and_report(trained, prices_csv):
    folder, status, out, err = trained

    assert status == 0, err
    assert sorted(p.name for p in folder.iterdir() if p.name != ".m.keras.lock") == [
        "m.keras",
        "m.keras.oos.csv",
        "m.keras.pipeline.json",
        "m.keras.report.json",
    ]
    report = json.loads((folder / "m.keras.report.json").read_text())
    assert set(report["baseline_metrics"]) == {"majority", "persistence", "logistic_regression"}
    for entry in [report["model_metrics"], *report["baseline_metrics"].values()]:
        assert {"accuracy", "balanced_accuracy", "f1_macro", "log_loss", "folds"} <= set(entry)
        assert len(entry["folds"]) == N_SPLITS
    assert report["data"]["first_date"] == "1999-01-04"
    assert report["data"]["n_rows"] == N_ROWS
    assert report["parameters"]["command_line"]["epochs"] == 1
    assert report["parameters"]["classifier_params"]["lstm_units"] == [4]
    # The main job predicts from the attention network alone (sktemporal.cli.train says why).
    assert report["parameters"]["classifier_params"]["ensemble_heads"] is False
    assert {
        "python",
        "sktemporal",
        "keras",
        "backend",
        "tensorflow",
        "scikit-learn",
        "numpy",
        "pandas",
        "talib",
    } <= set(report["versions"])
    assert sum(report["class_shares"].values()) == pytest.approx(1.0)
    assert report["files"]["model"] == str(folder / "m.keras")
    assert report["files"]["oos_predictions"] == str(folder / "m.keras.oos.csv")
    assert report["lookahead_check"]["leaks"] is False
    assert report["lookahead_check"]["kinds"] == ["noise", "extreme", "shuffle"]
    assert report["data"]["source"] == str(prices_csv)
    pipeline = json.loads((folder / "m.keras.pipeline.json").read_text())
    assert pipeline["trained_on"]["data_source"] == str(prices_csv)
    assert pipeline["out_of_sample"]["file"] == "m.keras.oos.csv"
    assert pipeline["out_of_sample"]["n_samples"] == report["out_of_sample"]["n_samples"]


def test_train_saves_only_the_out_of_sample_rows(trained, prices_csv):
    folder = trained[0]
    report = json.loads((folder / "m.keras.report.json").read_text())
    oos = pd.read_csv(folder / "m.keras.oos.csv", parse_dates=["date"])
    prices = pd.read_csv(prices_csv, index_col=0, parse_dates=True)

    assert oos.columns.tolist() == [
        "date",
        "fold",
        "y_true",
        "predicted_class",
        "proba_-1",
        "proba_0",
        "proba_1",
    ]
    assert oos["date"].is_unique and oos["date"].is_monotonic_increasing
    first_training_end = pd.Timestamp(report["folds"][0]["train"]["last_date"])
    assert (oos["date"] > first_training_end).all()
    assert len(oos) == sum(fold["test"]["n_samples"] for fold in report["folds"])
    for fold in report["folds"]:
        rows = oos[oos["fold"] == fold["fold"]]
        test = prices.loc[fold["test"]["first_date"] : fold["test"]["last_date"]].index
        assert rows["date"].tolist() == test.tolist()
    np.testing.assert_allclose(oos.filter(like="proba_").sum(axis=1), 1.0, rtol=1e-9)


def test_train_prints_the_table_and_progress(trained):
    _, _, out, err = trained

    assert "mean ± std over 2 folds" in out
    for name in ("model", "majority", "persistence", "logistic_regression"):
        assert name in out
    assert "balanced_accuracy" in out
    assert "fold 1/2: " in err and "fold 2/2: " in err
    assert "fitting the final model" in err


def test_quiet_transformer_run(prices_csv, tmp_path):
    model = tmp_path / "t.keras"
    status, out, err = run(
        [
            "train",
            "--data-path",
            str(prices_csv),
            "--model-path",
            str(model),
            "--model",
            "transformer",
            "--d-model",
            "4",
            "--num-heads",
            "2",
            "--num-layers",
            "1",
            "--ff-dim",
            "4",
            "--dense-units",
            "4",
            "--report",
            str(tmp_path / "r.json"),
            "--quiet",
            *TINY,
        ]
    )

    assert status == 0, err
    assert "fold 1/2" not in err and "fold 1/2" not in out
    assert "mean ± std" in out
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["parameters"]["classifier"] == "TransformerClassifier"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".t.keras.lock") == [
        "r.json",
        "t.keras",
        "t.keras.oos.csv",
        "t.keras.pipeline.json",
    ]


def test_a_failed_save_leaves_no_file(prices_csv, tmp_path, monkeypatch):
    from sktemporal.market.direction_model import DirectionModel

    def fail(self, files, path):
        raise OSError("No space left on device")

    monkeypatch.setattr(DirectionModel, "write_files", fail)
    status, _, err = run(
        [
            "train",
            "--data-path",
            str(prices_csv),
            "--model-path",
            str(tmp_path / "m.keras"),
            "--quiet",
            *TINY_LSTM,
        ]
    )

    assert_one_line_error(status, err, "No space left on device")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------- predict


def test_predict_writes_one_row_per_full_window(trained, prices_csv, tmp_path):
    folder = trained[0]
    output = tmp_path / "predictions.csv"

    status, _, err = run(
        [
            "predict",
            "--model-path",
            str(folder / "m.keras"),
            "--data-path",
            str(prices_csv),
            "--output",
            str(output),
        ]
    )

    assert status == 0, err
    frame = pd.read_csv(output, index_col="date", parse_dates=True)
    assert frame.columns.tolist() == ["predicted_class", "proba_-1", "proba_0", "proba_1"]
    assert len(frame) == N_PREDICTIONS
    prices = pd.read_csv(prices_csv, index_col=0, parse_dates=True)
    pd.testing.assert_index_equal(frame.index, prices.index[-N_PREDICTIONS:], check_names=False)
    proba = frame.iloc[:, 1:].to_numpy()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(frame["predicted_class"], np.array([-1, 0, 1])[proba.argmax(1)])


def test_predict_to_stdout(trained, prices_csv, capsys):
    status = main(
        ["predict", "--model-path", str(trained[0] / "m.keras"), "--data-path", str(prices_csv)]
    )

    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("date,predicted_class,proba_-1,proba_0,proba_1\n")
    assert len(out.strip().splitlines()) == N_PREDICTIONS + 1


def test_predict_without_the_pipeline_file_fails_in_one_line(trained, tmp_path, capsys):
    shutil.copy(trained[0] / "m.keras", tmp_path / "m.keras")
    status = main(
        [
            "predict",
            "--model-path",
            str(tmp_path / "m.keras"),
            "--output",
            str(tmp_path / "out.csv"),
        ]
    )

    assert_one_line_error(status, capsys.readouterr().err, "no preprocessing file")
    assert not (tmp_path / "out.csv").exists()


def test_predict_with_too_few_rows_fails_in_one_line(trained, prices_csv, tmp_path, capsys):
    short = tmp_path / "short.csv"
    pd.read_csv(prices_csv).iloc[:50].to_csv(short, index=False)
    status = main(
        [
            "predict",
            "--model-path",
            str(trained[0] / "m.keras"),
            "--data-path",
            str(short),
            "--output",
            str(tmp_path / "out.csv"),
        ]
    )

    assert_one_line_error(status, capsys.readouterr().err, "needs at least 59 rows, got 50")
    assert not (tmp_path / "out.csv").exists()


# ---------------------------------------------------------------------------- backtest


def oos_positions(folder, threshold):
    """Positions recomputed from the saved predictions, independently of the report module."""
    oos = pd.read_csv(folder / "m.keras.oos.csv", index_col="date", parse_dates=True)
    proba = oos[["proba_-1", "proba_0", "proba_1"]].to_numpy()
    top = proba.argmax(axis=1)
    confident = proba.max(axis=1) >= threshold
    return oos, pd.Series(np.where(confident, np.array([-1, 0, 1])[top], 0), index=oos.index)


def median_confidence(folder):
    """A threshold that acts on about half of the days the tiny model calls up or down.

    The tiny model is rarely confident, and mostly of "flat": a median over every day could
    leave only flat days above it, and then nothing to trade.
    """
    oos = pd.read_csv(folder / "m.keras.oos.csv")
    proba = oos[["proba_-1", "proba_0", "proba_1"]]
    directional = proba.idxmax(axis=1) != "proba_0"
    assert directional.any(), "the tiny model called every day flat: nothing to backtest"
    return float(np.median(proba.max(axis=1)[directional]))


def printed_metrics(out):
    """``{metric: (strategy, buy_and_hold)}`` from the table that ``backtest`` prints."""
    from sktemporal.market.backtest import METRIC_NAMES

    table = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in METRIC_NAMES:
            table[parts[0]] = tuple(np.nan if p == "n/a" else float(p) for p in parts[1:])
    assert set(table) == set(METRIC_NAMES), out
    return table


def recomputed(positions, close):
    """``backtest`` of ``positions`` decided on their dates, held to the next close."""
    from sktemporal.market.backtest import backtest

    start = close.index.get_loc(positions.index[0])
    period = close.iloc[start : start + len(positions) + 1]
    held = pd.concat([positions, pd.Series([0], index=period.index[-1:])])
    return backtest(held, period, cost_bps=5.0)


@pytest.mark.parametrize("long_only", [False, True])
def test_backtest_numbers_equal_a_recomputation_on_the_saved_predictions(
    trained, prices_csv, long_only
):
    folder = trained[0]
    # Rounded down, so the days at the median stay above the threshold the CLI is given.
    threshold = float(np.floor(median_confidence(folder) * 1e4) / 1e4)
    argv = ["backtest", "--model-path", str(folder / "m.keras"), "--data-path", str(prices_csv)]
    argv += ["--confidence", str(threshold), "--cost-bps", "5"]
    status, out, err = run([*argv, "--long-only"] if long_only else argv)

    assert status == 0, err
    oos, positions = oos_positions(folder, threshold)
    if long_only:
        positions = positions.clip(lower=0)
    close = pd.read_csv(prices_csv, index_col=0, parse_dates=True)["close"]
    expected = recomputed(positions, close)
    table = printed_metrics(out)
    # Printed to 4 decimals: within half a unit of the last digit (an exact half, such as
    # 0.03125 printed as 0.0312, sits on the bound, hence the float slack).
    half_unit = 5e-5 + 1e-12
    for metric, (strategy, buy_and_hold) in table.items():
        assert strategy == pytest.approx(expected.metrics[metric], abs=half_unit, nan_ok=True)
        assert buy_and_hold == pytest.approx(
            expected.benchmark_metrics[metric], abs=half_unit, nan_ok=True
        )
    confident = oos.filter(like="proba_").max(axis=1) >= threshold
    # The backtest trades; whether the gate also leaves days out depends on how spread the
    # tiny model's confidences are (gating itself is tested in test_report and test_meta).
    assert 0 < confident.sum() <= len(oos) and (positions != 0).any()
    correct = (oos["y_true"] == oos["predicted_class"])[confident]
    assert f"acted on {confident.sum()} of {len(oos)} days" in out
    # The sweep: one row per threshold, its row at the median threshold's neighbours too.
    sweep = out.split("the same backtest at other confidence thresholds")[1]
    sweep = sweep.split("probability of backtest overfitting")[0].splitlines()
    assert sweep[-1].split()[:3] == ["buy", "&", "hold"]
    assert len(sweep) >= 10
    # The overfitting odds of picking the sweep's best row, recomputed.
    expected_odds = threshold_sweep(
        read_oos_predictions(folder / "m.keras.oos.csv"), close, cost_bps=5, long_only=long_only
    ).overfitting()
    assert expected_odds.format_text("confidence threshold") in out
    assert f"coverage {confident.mean():.4f}, accuracy on them {correct.mean():.4f}" in out

    # The position decided at t earns t -> t+1: a position shifted by a day changes results.
    for shifted in (positions.shift(1, fill_value=0), positions.shift(-1, fill_value=0)):
        moved = recomputed(shifted.astype(int), close)
        assert moved.metrics["total_return"] != pytest.approx(
            expected.metrics["total_return"], abs=1e-4
        )


def test_backtest_of_the_bundled_data_needs_no_data_path(trained, capsys):
    status = main(["backtest", "--model-path", str(trained[0] / "m.keras")])

    assert_one_line_error(status, capsys.readouterr().err, "not the bundled S&P 500")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--confidence", "1.5"], "argument --confidence: must be a probability in [0, 1]"),
        (["--cost-bps", "-1"], "argument --cost-bps: must be a finite number >= 0"),
        (["--model-path", "no/such.keras"], "no model file at 'no/such.keras'"),
    ],
)
def test_backtest_bad_arguments_fail_in_one_line(trained, prices_csv, arguments, message, capsys):
    argv = ["backtest", "--model-path", str(trained[0] / "m.keras"), "--data-path"]
    status = main([*argv, str(prices_csv), *arguments])

    assert_one_line_error(status, capsys.readouterr().err, message)


def test_backtest_refuses_other_prices_and_stray_files(trained, prices_csv, tmp_path, capsys):
    folder = tmp_path / "copy"
    shutil.copytree(trained[0], folder)
    model = str(folder / "m.keras")
    other = tmp_path / "other.csv"
    frame = pd.read_csv(prices_csv)
    drift = 1.01 ** np.arange(len(frame) - 200)  # one point more return a day from row 200
    frame.loc[200:, ["open", "high", "low", "close"]] *= drift[:, None]
    frame.to_csv(other, index=False)

    status = main(["backtest", "--model-path", model, "--data-path", str(other)])
    assert_one_line_error(status, capsys.readouterr().err, "other labels than the model")

    short = tmp_path / "short.csv"
    pd.read_csv(prices_csv).iloc[:200].to_csv(short, index=False)
    status = main(["backtest", "--model-path", model, "--data-path", str(short)])
    assert_one_line_error(status, capsys.readouterr().err, "the prices lack")

    oos = folder / "m.keras.oos.csv"
    oos.write_text(oos.read_text().replace(",1,", ",0,", 1))
    status = main(["backtest", "--model-path", model, "--data-path", str(prices_csv)])
    assert_one_line_error(status, capsys.readouterr().err, "is not the predictions file")

    oos.unlink()
    status = main(["backtest", "--model-path", model, "--data-path", str(prices_csv)])
    assert_one_line_error(status, capsys.readouterr().err, "no out-of-sample predictions file")


# ---------------------------------------------------------------------------- report


def test_report_writes_one_html_page(trained, prices_csv, tmp_path):
    output = tmp_path / "report"
    argv = ["report", "--model-path", str(trained[0] / "m.keras"), "--data-path", str(prices_csv)]
    status, out, err = run([*argv, "--output", str(output), "--n-windows", "20"])

    assert status == 0, err
    assert out.startswith(f"wrote {output / 'index.html'} (")
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert [p.name for p in output.iterdir()] == ["index.html"]
    assert output.joinpath("index.html").read_text().count('src="data:image/png;base64,') == 7


def test_report_bad_output_fails_in_one_line(trained, prices_csv, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    argv = ["report", "--model-path", str(trained[0] / "m.keras"), "--data-path", str(prices_csv)]

    status = main([*argv, "--output", str(tmp_path / "file")])
    assert_one_line_error(status, capsys.readouterr().err, "is a file; give a folder")
    status = main([*argv[:-2]])
    assert_one_line_error(status, capsys.readouterr().err, "--output")


# ---------------------------------------------------------------------------- bad input


def write_csv(folder, edit):
    frame = load_sp500().iloc[:N_ROWS].reset_index()
    frame = edit(frame)
    path = folder / "bad.csv"
    if isinstance(frame, str):
        path.write_text(frame)
    else:
        frame.to_csv(path, index=False)
    return path


def _set(frame, row, column, value):
    frame = frame.astype({column: object})
    frame.loc[row, column] = value
    return frame


BAD_CSVS = {
    "missing column": (lambda f: f.drop(columns="volume"), "missing column(s) 'volume'"),
    "non-numeric": (lambda f: _set(f, 100, "close", "n/a?"), "non-numeric value 'n/a?'"),
    "bad date": (lambda f: _set(f, 5, "date", "yesterday"), "cannot parse date 'yesterday'"),
    "negative price": (lambda f: _set(f, 7, "low", -1.0), "non-positive price -1.0"),
    "empty": (lambda f: "", "is empty"),
    "too few rows": (lambda f: f.iloc[:60], "the job needs at least 64 rows, got 60"),
}


@pytest.mark.parametrize("case", BAD_CSVS)
def test_bad_csv_fails_in_one_line_and_writes_nothing(case, tmp_path, capsys):
    edit, message = BAD_CSVS[case]
    data = write_csv(tmp_path, edit)
    models = tmp_path / "models"

    status = main(
        ["train", "--data-path", str(data), "--model-path", str(models / "m.keras"), *TINY_LSTM]
    )

    assert_one_line_error(status, capsys.readouterr().err, message)
    assert not models.exists()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--data-path", "no/such/file.csv"], "OHLCV file not found"),
        (["--epochs", "-3"], "argument --epochs: must be an integer >= 1, got -3"),
        (["--epochs", "ten"], "argument --epochs: expected an integer, got 'ten'"),
        (["--flat-band", "-0.1"], "argument --flat-band: must be a finite number >= 0"),
        (["--sequence-length", "1"], "argument --sequence-length: must be an integer >= 2"),
        (["--n-splits", "1"], "argument --n-splits: must be an integer >= 2"),
        (["--cv", "kfold"], "argument --cv: invalid choice: 'kfold'"),
        (["--cv", "cpcv", "--n-test-groups", "2"], "must be smaller than --n-splits (2)"),
        (["--model", "gru"], "argument --model: invalid choice: 'gru'"),
        (["--d-model", "8"], "argument --d-model: applies to --model transformer only"),
        (["--model", "transformer", "--d-model", "6"], "4 heads do not divide --d-model 6"),
        (["--model-path", "model.h5"], "the model path must end in '.keras'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_arguments_fail_in_one_line(arguments, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status = main(["train", *TINY, *arguments])

    assert_one_line_error(status, capsys.readouterr().err, message)
    assert list(tmp_path.iterdir()) == []


def test_missing_command_and_help(capsys):
    assert main([]) == 2
    assert capsys.readouterr().err.startswith("sktemporal: error: ")
    assert main(["--help"]) == 0
    assert "{train,predict,backtest,report}" in capsys.readouterr().out
    assert main(["predict", "--help"]) == 0
    assert "--output" in capsys.readouterr().out


# ---------------------------------------------------------------------------- backend


_CHOOSE = """
import json, sys
from sktemporal.cli import choose_backend
try:
    chosen = choose_backend(None if sys.argv[1] == "-" else sys.argv[1])
except ValueError as error:
    chosen = ["error", str(error)]
print(json.dumps([*chosen, "keras" in sys.modules]))
"""


def _choose_in_fresh_process(tmp_path, requested="-", keras_json=None, keras_backend=None):
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)
    if keras_json is not None:
        (tmp_path / "keras.json").write_text(json.dumps(keras_json))
    if keras_backend is not None:
        env["KERAS_BACKEND"] = keras_backend
    done = subprocess.run(
        [sys.executable, "-c", _CHOOSE, requested],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_picks_the_fastest_backend_where_none_was_chosen(tmp_path):
    # Keras writes keras.json with "tensorflow" itself on its first import: not a choice.
    backend, reason, keras_loaded = _choose_in_fresh_process(
        tmp_path, keras_json={"backend": "tensorflow", "floatx": "float32"}
    )
    assert (backend, reason) == ("jax", "the fastest installed; --backend to choose")
    assert not keras_loaded  # chosen before Keras loads, so Keras can still take it


@pytest.mark.parametrize(
    "requested, keras_backend, expected",
    [
        ("tensorflow", None, ["tensorflow", "--backend"]),
        ("jax", "tensorflow", ["jax", "--backend"]),  # the option wins over the environment
        ("-", "tensorflow", ["tensorflow", "KERAS_BACKEND"]),
    ],
)
def test_the_users_choice_of_backend_is_kept(tmp_path, requested, keras_backend, expected):
    chosen = _choose_in_fresh_process(tmp_path, requested, keras_backend=keras_backend)
    assert chosen[:2] == expected


def test_a_backend_other_than_tensorflow_named_in_keras_json_is_a_choice(tmp_path):
    chosen = _choose_in_fresh_process(tmp_path, keras_json={"backend": "jax"})
    assert chosen[:2] == ["jax", "keras.json"]


def test_the_backend_cannot_change_once_keras_is_loaded():
    import keras

    from sktemporal.cli import choose_backend

    loaded = keras.backend.backend()
    assert choose_backend(None) == (loaded, "Keras was already loaded")
    other = "jax" if loaded != "jax" else "tensorflow"
    with pytest.raises(ValueError, match=f"already loaded with the {loaded} backend"):
        choose_backend(other)
    status, _, err = run(["train", "--backend", other, "--epochs", "1"])
    assert_one_line_error(status, err, "cannot switch")


def test_an_internal_error_exits_1_with_one_line_and_the_advice_to_report_it(monkeypatch, capsys):
    import sktemporal.cli

    def broken(requested):
        raise KeyError("a bug")

    monkeypatch.setattr(sktemporal.cli, "choose_backend", broken)
    assert sktemporal.cli.main(["backtest", "--model-path", "model.keras"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("sktemporal: internal error: KeyError: ")
    assert "please report it" in err[0]


def test_the_old_threshold_option_still_works_and_names_its_new_name(trained, prices_csv):
    argv = ["backtest", "--model-path", str(trained[0] / "m.keras"), "--data-path"]
    old = run([*argv, str(prices_csv), "--threshold", "0.5"])
    new = run([*argv, str(prices_csv), "--confidence", "0.5"])

    assert old[0] == new[0] == 0
    assert old[1] == new[1]
    assert (
        old[2].strip()
        == "sktemporal: note: --threshold is now --confidence; the old name will go."
    )


def test_day_first_dates_are_read_with_date_format(trained, prices_csv, tmp_path):
    prices = pd.read_csv(prices_csv, index_col=0, parse_dates=True)
    day_first = tmp_path / "day_first.csv"
    prices.to_csv(day_first, date_format="%d/%m/%Y")
    argv = ["backtest", "--model-path", str(trained[0] / "m.keras"), "--data-path", str(day_first)]

    status, _, err = run(argv)
    assert status == 2 and "--date-format on the command line" in err
    status, out, err = run([*argv, "--date-format", "%d/%m/%Y"])
    assert status == 0, err
    assert out == run([*argv[:-2], "--data-path", str(prices_csv)])[1].replace(
        str(prices_csv), str(day_first)
    )


@pytest.mark.parametrize(
    "flag, expected", [([], False), (["--ensemble-heads"], True), (["--no-ensemble-heads"], False)]
)
def test_the_ensemble_heads_option_reaches_the_classifier(flag, expected):
    from sktemporal.cli import build_parser
    from sktemporal.cli.train import classifier_params

    args = build_parser().parse_args(["train", *flag])
    assert classifier_params(args)["ensemble_heads"] is expected


def test_every_option_says_its_default(capsys):
    import re

    for command in ("train", "predict", "backtest", "report"):
        assert main([command, "--help"]) == 0
        # An option's entry starts on a line of its own, indented by two spaces.
        entries = re.split(r"\n  (?=--)", capsys.readouterr().out.split("options:")[1])[1:]
        for entry in entries:
            name = entry.split()[0]
            if name in ("--help", "--quiet", "--long-only", "--checkpoint-dir"):
                continue  # flags, and an option that is off unless given
            assert re.search(r"\(default: |required", " ".join(entry.split())), (command, entry)


@pytest.mark.backend  # the commands pick their own backend: the same in both suites
def test_every_command_prints_only_its_own_lines_on_stderr(prices_csv, tmp_path):
    """No TensorFlow/absl/XLA start-up lines and no dependency warnings, in a real process.

    The backends write their start-up messages from C++ to file descriptor 2, which only a
    separate process shows; ``TF_CPP_MIN_LOG_LEVEL`` is unset, as on a user's machine.
    """
    import re

    model = tmp_path / "m.keras"
    saved = ["--model-path", model, "--data-path", prices_csv]
    commands = [
        ["train", "--data-path", prices_csv, "--model-path", model, *TINY_LSTM],
        ["predict", *saved, "--output", tmp_path / "p.csv"],
        ["backtest", *saved],
        ["report", *saved, "--output", tmp_path / "report"],
    ]
    ours = re.compile(r"^(fold \d+/\d+: |final: |fitting the final model |wrote )")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    for command in commands:
        done = subprocess.run(
            [sys.executable, "-m", "sktemporal", *map(str, command)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        foreign = [line for line in done.stderr.splitlines() if not ours.match(line)]
        assert foreign == [], f"{command[0]}: {foreign}"


def test_train_with_a_checkpoint_folder_records_it_in_the_report(prices_csv, tmp_path):
    backups = tmp_path / "backups"
    argv = ["train", "--data-path", str(prices_csv), "--model-path", str(tmp_path / "m.keras")]
    status, _, err = run([*argv, "--checkpoint-dir", str(backups), "--quiet", *TINY_LSTM])

    assert status == 0, err
    report = json.loads((tmp_path / "m.keras.report.json").read_text())
    assert report["parameters"]["command_line"]["checkpoint_dir"] == str(backups)


def test_train_with_cpcv_reports_and_backtests_every_path(prices_csv, tmp_path):
    model = str(tmp_path / "m.keras")
    argv = ["train", "--data-path", str(prices_csv), "--model-path", model, "--quiet"]
    status, out, err = run([*argv, *TINY_LSTM, "--cv", "cpcv", "--n-splits", "3"])

    assert status == 0, err
    assert "CPCV over 3 blocks, 2 tested per fit: 3 fits, 2 paths" in out
    assert "over the 2 CPCV paths" in out and "backtest of each CPCV path" in out
    report = json.loads((tmp_path / "m.keras.report.json").read_text())
    assert report["parameters"]["cv"]["scheme"] == "cpcv" and len(report["folds"]) == 3
    saved = pd.read_csv(tmp_path / "m.keras.oos.csv")
    assert sorted(saved["path"].unique()) == [1, 2]
    # The report's numbers, recomputed from the saved predictions.
    for entry in report["paths"]["scores"]:
        path = saved[saved["path"] == entry["path"]]
        assert len(path) == N_PREDICTIONS - 1  # the last full window has no label
        accuracy = float(np.mean(path["predicted_class"] == path["y_true"]))
        assert entry["scores"]["model"]["accuracy"] == pytest.approx(accuracy)
    backtests = report["paths"]["backtest"]
    assert {row["path"] for row in backtests["paths"]} == {1, 2}

    status, out, err = run(["backtest", "--model-path", model, "--data-path", str(prices_csv)])
    assert status == 0, err
    assert "CPCV: path 1 of 2" in out and "backtest of each CPCV path" in out
    # The tiny model may never trade at any threshold; then the odds say there is no pick.
    assert "probability of backtest overfitting" in out
