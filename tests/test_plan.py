"""The training plan: the epochs ``epochs="auto"`` runs and when the validation tail is used."""

import numpy as np
import pytest

from sktemporal.classifiers._plan import count_epochs, plan_training, split_validation_tail


@pytest.mark.parametrize(
    "n_windows, batch_size, expected_epochs",
    [
        (30, 32, 1000),  # one step an epoch: 1,000 epochs reach min_steps
        (200, 32, 143),  # 7 steps an epoch
        (5_000, 32, 10),  # 156 steps an epoch: 7 epochs would do, the floor is 10
        (100_000, 32, 10),
    ],
)
def test_auto_epochs_reach_min_steps_with_at_least_ten_epochs(
    n_windows, batch_size, expected_epochs
):
    plan = plan_training(
        np.arange(n_windows),
        np.arange(n_windows) % 2,
        epochs="auto",
        batch_size=batch_size,
        min_steps=1000,
        validation_fraction=0.0,
        min_validation_windows=200,
    )
    assert plan.epochs == expected_epochs
    assert plan.total_steps >= 1000
    # Batches of one size: full ones, or one more batch sharing the windows evenly.
    assert plan.steps_per_epoch in (max(1, n_windows // batch_size), -(-n_windows // batch_size))


def test_an_explicit_number_of_epochs_is_kept():
    epochs, note = count_epochs(7, steps_per_epoch=3, min_steps=1000)
    assert epochs == 7 and "7 epochs of 3 steps" in note


def test_a_large_tail_holding_every_class_is_held_out_in_time_order():
    y = np.arange(3000) % 3
    train, validation, note = split_validation_tail(np.arange(3000), y, 0.1, 200)
    np.testing.assert_array_equal(validation, np.arange(2700, 3000))
    np.testing.assert_array_equal(train, np.arange(2700))
    assert "holding out the last 300 windows" in note


def test_a_small_tail_is_not_trusted_and_every_window_is_trained_on():
    y = np.arange(500) % 2
    train, validation, note = split_validation_tail(np.arange(500), y, 0.1, 200)
    assert len(validation) == 0 and len(train) == 500
    assert "50 windows is smaller than min_validation_windows=200" in note


def test_a_tail_of_samples_sorted_by_class_is_not_used():
    """Independent samples stored sorted by class (as UCR/UEA sets often are) have a tail of
    one class: it says nothing about the others, so the training loss is monitored instead."""
    y = np.repeat(np.arange(9), 300)
    train, validation, note = split_validation_tail(np.arange(len(y)), y, 0.1, 200)
    assert len(validation) == 0 and len(train) == len(y)
    assert "lacks 8 of the 9 classes" in note


def test_the_plan_monitors_what_it_holds_out():
    y = np.arange(3000) % 3
    with_tail = plan_training(
        np.arange(3000),
        y,
        epochs="auto",
        batch_size=32,
        min_steps=10,
        validation_fraction=0.1,
        min_validation_windows=200,
    )
    without = plan_training(
        np.arange(3000),
        y,
        epochs="auto",
        batch_size=32,
        min_steps=10,
        validation_fraction=0.0,
        min_validation_windows=200,
    )
    assert with_tail.monitor == "val_loss" and without.monitor == "loss"
    assert with_tail.steps_per_epoch == 84  # 2,700 training windows: 84 batches of 32, 12 left out


@pytest.mark.parametrize(
    "n_rows, batch_size, multiple, expected",
    [
        (100, 32, 1, (100, 4)),  # 4 x 25: nothing left out
        (826, 32, 1, (806, 26)),  # 26 x 31 leaves 20 out; 25 x 32 would leave 26
        (4457, 32, 1, (4448, 139)),  # 139 x 32 leaves 9 out; 140 x 31 would leave 117
        (30, 32, 1, (30, 1)),  # fewer rows than a batch: one batch of them all
        (101, 32, 2, (96, 3)),  # sizes stay multiples of the device count
    ],
)
def test_training_batches_all_have_one_size(n_rows, batch_size, multiple, expected):
    """One batch shape, so a compiled training step is built once; < one batch left out."""
    from sktemporal.classifiers._batches import WindowBatches, batch_count

    assert batch_count(n_rows, batch_size, multiple, equal_sizes=True) == expected
    X = np.zeros((n_rows, 2, 1))
    batches = WindowBatches(
        X,
        np.zeros(n_rows),
        batch_size=batch_size,
        shuffle=True,
        seed=0,
        batch_multiple=multiple,
        equal_sizes=True,
    )
    sizes = {len(batches[k][0]) for k in range(len(batches))}
    assert len(batches) == expected[1] and sizes == {expected[0] // expected[1]}
    assert n_rows - expected[0] < batch_size
    seen = set()
    for _ in range(20):  # the rows left out change from epoch to epoch
        seen |= {
            int(row)
            for k in range(len(batches))
            for row in batches._order[batches._bounds[k] : batches._bounds[k + 1]]
        }
        batches.on_epoch_end()
    assert seen == set(range(n_rows))
