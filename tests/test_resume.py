"""Crash-safe training: a fit killed mid-epoch resumes from its last backup."""

import signal
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys
    import keras, numpy as np
    from sktemporal import AttentionLSTMClassifier

    checkpoint_dir, crash = sys.argv[1], sys.argv[2] == "crash"
    X = np.random.default_rng(0).normal(size=(64, 5, 2))
    y = np.arange(64) % 2
    epochs_run = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            epochs_run.append(epoch)

        def on_train_batch_end(self, batch, logs=None):
            if crash and epochs_run[-1] == 2 and batch == 1:
                os.kill(os.getpid(), signal.SIGKILL)  # die mid-epoch, as a crash would

    clf = AttentionLSTMClassifier(
        lstm_units=2, attention_units=2, dense_units=2, epochs=4, batch_size=16,
        validation_fraction=0, random_state=0, callbacks=[Recorder()],
        stem_filters=(2,), stem_kernel_sizes=(3,),
        checkpoint_dir=checkpoint_dir,
    ).fit(X, y)
    print("epochs", *epochs_run)
    print("proba_rows", len(clf.predict_proba(X)))
    """
)


def _run(checkpoint_dir, mode):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, str(checkpoint_dir), mode],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_killed_fit_resumes_at_the_epoch_it_was_in(tmp_path):
    backup = tmp_path / "backup"
    crashed = _run(backup, "crash")
    assert crashed.returncode == -signal.SIGKILL
    assert any(backup.iterdir()), "no backup was written before the crash"

    resumed = _run(backup, "resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    # Epochs 0 and 1 completed before the crash; training restarts in epoch 2.
    assert "epochs 2 3" in resumed.stdout
    assert "proba_rows 64" in resumed.stdout
    assert not backup.exists() or not any(backup.iterdir()), "backup kept after completion"
