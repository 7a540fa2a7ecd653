"""Peak memory and time of scoring a Parquet table in memory versus streamed in chunks.

Writes a table of ``--rows`` rows x ``--features`` float64 columns as ``--files`` Parquet files,
fits a tiny AttentionLSTMClassifier on its first rows, then scores every row in two fresh
processes:

- in memory: ``pd.read_parquet`` of all files -> ``StandardScaler.transform`` ->
  ``SlidingWindowTransformer`` -> ``predict_proba``;
- streamed: ``WindowStream(files, transform=scaler)`` -> ``iter_predict_proba``, ``--batch-rows``
  rows at a time.

Each process reports its peak resident memory above what it held once Keras and the model were
loaded, and checks that both give the same probabilities.

    python benchmarks/bench_out_of_core.py --rows 400000 --features 32
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pandas as pd

SEQUENCE_LENGTH = 8


def _rss_mb():
    """Current resident memory, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class _PeakMemory:
    """Highest resident memory while the block runs, sampled every 5 ms."""

    def __enter__(self):
        self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def write_table(directory, rows, features, files):
    rng = np.random.default_rng(0)
    columns = [f"f{i}" for i in range(features)]
    paths = []
    for i, part in enumerate(np.array_split(np.arange(rows), files)):
        frame = pd.DataFrame(
            rng.normal(size=(len(part), features)).cumsum(axis=0), columns=columns
        )
        frame["label"] = (frame["f0"].diff().fillna(0) > 0).astype(int)
        path = directory / f"part-{i:05d}.parquet"
        frame.to_parquet(path)
        paths.append(path)
    return paths, columns


def fit_model(paths, columns, directory):
    from sklearn.preprocessing import StandardScaler

    from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer
    from sktemporal.out_of_core import WindowStream, partial_fit_table

    scaler = partial_fit_table(StandardScaler(), WindowStream(paths, columns=columns))
    head = pd.read_parquet(paths[0]).iloc[:2000]
    windows = SlidingWindowTransformer(SEQUENCE_LENGTH).fit_transform(
        scaler.transform(head[columns])
    )
    clf = AttentionLSTMClassifier(
        lstm_units=4,
        attention_units=4,
        dense_units=4,
        bidirectional=False,
        epochs=1,
        random_state=0,
    )
    clf.fit(windows, head["label"])
    path = directory / "model.pkl"
    path.write_bytes(pickle.dumps((scaler, clf)))
    return path


def score(mode, model_path, paths, columns, batch_rows, out):
    from sktemporal import SlidingWindowTransformer
    from sktemporal.out_of_core import WindowStream, iter_predict_proba

    scaler, clf = pickle.loads(Path(model_path).read_bytes())
    clf.predict_proba(np.zeros((4096, SEQUENCE_LENGTH, len(columns))))  # warm up, full chunk
    before = _rss_mb()
    start = time.perf_counter()
    with _PeakMemory() as memory:
        if mode == "memory":
            table = pd.read_parquet(paths, columns=columns)
            windows = SlidingWindowTransformer(SEQUENCE_LENGTH).fit_transform(
                scaler.transform(table)
            )
            probabilities = clf.predict_proba(windows)
        else:
            stream = WindowStream(
                paths, SEQUENCE_LENGTH, columns=columns, batch_rows=batch_rows, transform=scaler
            )
            probabilities = np.concatenate([p for _, p in iter_predict_proba(clf, stream)])
    elapsed = time.perf_counter() - start
    np.save(out, probabilities)
    return {"mode": mode, "seconds": elapsed, "peak_above_start_mb": memory.peak - before}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--batch-rows", type=int, default=65_536)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        mode, model_path, listing, out = args.worker
        paths, columns = json.loads(Path(listing).read_text())
        print(json.dumps(score(mode, model_path, paths, columns, args.batch_rows, out)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        paths, columns = write_table(directory, args.rows, args.features, args.files)
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(
            f"{args.rows} rows x {args.features} features in {args.files} Parquet files "
            f"({size:.0f} MB on disk, {args.rows * args.features * 8 / 2**20:.0f} MB as "
            f"float64); windows of {SEQUENCE_LENGTH}; batch_rows={args.batch_rows}"
        )
        model_path = fit_model(paths, columns, directory)
        listing = directory / "paths.json"
        listing.write_text(json.dumps([[str(p) for p in paths], columns]))
        results = {}
        for mode in ("memory", "stream"):
            out = directory / f"{mode}.npy"
            completed = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--batch-rows",
                    str(args.batch_rows),
                    "--worker",
                    mode,
                    str(model_path),
                    str(listing),
                    str(out),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(completed.stdout.strip().splitlines()[-1])
            results[mode] = np.load(out)
            print(
                f"{mode:>6}: {result['seconds']:6.1f} s, peak memory "
                f"+{result['peak_above_start_mb']:6.0f} MB"
            )
        difference = np.abs(results["memory"] - results["stream"]).max()
        print(f"largest probability difference: {difference:.2e}")


if __name__ == "__main__":
    main()
