"""Tests for sktemporal.market.progress: one display over the epochs of every fit."""

import io

from sktemporal.market.progress import TrainingProgress


def _fit(progress, name, losses, planned, monitor="val_loss"):
    """Drive a fit's callback as Keras does: ``losses`` per epoch, ``planned`` epochs."""
    callback = progress.callback(name)
    callback.set_params({"epochs": planned})
    callback.on_train_begin()
    for epoch, loss in enumerate(losses):
        callback.on_epoch_end(epoch, {"loss": loss + 0.1, monitor: loss})
    callback.on_train_end()


def test_plain_lines_name_early_stopping_and_the_restored_epoch():
    out = io.StringIO()
    with TrainingProgress(2, 10, stream=out) as progress:
        _fit(progress, "fold 1/2", [1.0, 0.9, 0.95, 0.97, 0.99], planned=10)
        progress.note("a fold's scores")
        _fit(progress, "final", [0.8, 0.7], planned=2, monitor="loss")
    lines = out.getvalue().splitlines()

    assert lines[0].startswith(
        "fold 1/2: early stopping at epoch 5 of 10; best val_loss 0.9000 at epoch 2; "
        "restored epoch 2; elapsed 0:00; ETA "
    )
    assert lines[1] == "a fold's scores"
    # The final fit planned 2 epochs, not 10: the total follows, and nothing is left.
    assert lines[2].startswith("final: 2 epochs; best loss 0.7000 at epoch 2; elapsed ")
    assert "ETA" not in lines[2] and "restored" not in lines[2]
    assert (progress.done, progress.total, progress.trained) == (12, 12, 7)


def test_the_restored_epoch_is_not_claimed_without_restoring():
    out = io.StringIO()
    with TrainingProgress(1, 3, restores_best=False, stream=out) as progress:
        _fit(progress, "fold 1/1", [1.0, 0.9, 0.95], planned=3)
    assert "restored" not in out.getvalue()


def test_a_live_display_shows_the_epochs_and_the_time_left():
    out = io.StringIO()
    with TrainingProgress(1, 4, stream=out, live=True) as progress:
        _fit(progress, "fold 1/1", [1.0, 0.9, 0.8, 0.7], planned=4)
    text = out.getvalue()
    assert "4/4 epochs" in text and "ETA" in text
    assert "fold 1/1: 4 epochs; best val_loss 0.7000 at epoch 4" in text


def test_clones_of_a_classifier_report_to_the_same_display():
    from sklearn.base import clone

    from sktemporal import AttentionLSTMClassifier

    progress = TrainingProgress(1, 1, stream=io.StringIO())
    callback = progress.callback("fold 1/1")
    copy = clone(AttentionLSTMClassifier(callbacks=[callback]))
    assert copy.callbacks[0] is callback


def test_plain_lines_write_nothing_without_fits():
    out = io.StringIO()
    with TrainingProgress(1, 1, stream=out):
        pass
    assert out.getvalue() == ""
