"""Training overhead of AttentionLSTMClassifier.fit over a plain Keras ``Model.fit``.

The network is the seed-sized one: BiLSTM(128) → BiLSTM(64) with residual and layer norm →
additive attention → Dense(64) → softmax, trained with batch 32 on random windows of 30×31.
The baseline is ``keras.models.clone_model(clf.model_)``, compiled as the classifier compiles
(Adam at learning rate 0.001, sparse categorical cross-entropy, accuracy) and trained by
``Model.fit`` on a contiguous float32 array. The classifier is measured on two inputs: that same
float32 array (``ours_f32``) and the read-only, strided float64 view that
``SlidingWindowTransformer`` returns (``ours_view``; batches are gathered and cast one at a
time by ``WindowBatches``).

Three measurements, each interleaving the variants (order rotated every round):

A. End to end: ``clf.fit`` against ``Model.fit`` with ``--epochs`` (2) epochs, ``--repeats``
   fits each. A callback times every epoch (wall and process CPU time) and the interval between
   training steps; the first epoch, which traces the training step, is left out. The fit wall
   time shows the fixed costs too: tracing, and for the classifier one forward pass over the
   training windows for ``attention_weights_``.
B. Round by round on one compiled network: two-epoch ``Model.fit`` calls alternate between the
   array and ``WindowBatches`` over the float32 array and over the view, and the second epoch
   of each call is timed. The training step is traced once and each call's set-up falls in its
   first epoch, so the timed epochs differ only by their input pipeline, and short rounds
   (``--epoch-windows``, 650) can be paired many times (``--rounds``, 12). 650 is not a
   multiple of the batch size, as no real data set is meant to be: with a partial last batch
   Keras' own array pipeline gives its batches an unknown batch dimension, as ``WindowBatches``
   does, whereas with 640 windows only the array's batches have the static shape (32, ...),
   for which TensorFlow runs the LSTM step about 7 % faster (measured). On
   TensorFlow a fourth variant, ``array_seeded``, trains on the array inside scikeras'
   ``tensorflow_random_state``, the context the classifier's ``fit`` runs in when
   ``random_state`` is an int: it turns on TensorFlow's op determinism.
C. Input pipeline alone: batches per second of each pipeline's ``tf.data`` iterator, no model
   (TensorFlow backend only).

Run: ``python benchmarks/bench_fit_overhead.py`` (about 4 minutes on 2 idle cores; options
for bigger runs: ``--windows``, ``--repeats``, ``--rounds``).
"""

import argparse
import contextlib
import gc
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common  # noqa: E402  (sets TF_CPP_MIN_LOG_LEVEL before Keras is imported)
import numpy as np  # noqa: E402

VARIANTS = ("ours_f32", "ours_view", "keras")


def make_data(n_windows, timesteps, features, seed=0):
    """Random table → strided float64 windows, their float32 copy, and 3-class labels."""
    from sktemporal import SlidingWindowTransformer

    rng = np.random.default_rng(seed)
    table = rng.normal(size=(n_windows, features))
    view = SlidingWindowTransformer(sequence_length=timesteps).fit_transform(table)
    dense = np.ascontiguousarray(view, dtype=np.float32)
    y = rng.integers(0, 3, size=n_windows)
    return view, dense, y


def make_classifier(args, callbacks):
    from sktemporal import AttentionLSTMClassifier

    return AttentionLSTMClassifier(
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_fraction=0,
        patience=None,
        callbacks=callbacks,
        random_state=None,  # the default; an int adds TF op determinism (see B, array_seeded)
        verbose=0,
    )


def compiled_clone(template):
    """The template's architecture, freshly initialised and compiled as the classifier does."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.models.clone_model(template)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.001),  # the classifier's default
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def window_batches(X, y, seed):
    """The classifier's own training pipeline (a ``keras.utils.PyDataset``)."""
    from sktemporal.classifiers._batches import WindowBatches

    return WindowBatches(X, y, None, np.arange(len(X)), batch_size=32, shuffle=True, seed=seed)


# ---------------------------------------------------------------------------- A: end to end


def end_to_end(args, view, dense, y):
    import keras

    # One value per fit, in repeat order, so that fits of the same repeat can be paired.
    epochs = {name: [] for name in VARIANTS}  # median epoch wall time after the first
    cpu = {name: [] for name in VARIANTS}  # the same in CPU time (all threads)
    steps = {name: [] for name in VARIANTS}  # median steady step interval, one per fit
    walls = {name: [] for name in VARIANTS}
    outside = {name: [] for name in VARIANTS}  # fit wall time outside the epochs
    template = None
    for repeat in range(args.repeats):
        for name in _common.rotated(VARIANTS, repeat):
            keras.backend.clear_session()
            gc.collect()
            callback = _common.step_timer()
            start = time.perf_counter()
            if name == "keras":
                model = compiled_clone(template)
                model.fit(
                    dense,
                    y,
                    batch_size=args.batch_size,
                    epochs=args.epochs,
                    shuffle=True,
                    verbose=0,
                    callbacks=[callback],
                )
            else:
                clf = make_classifier(args, [callback])
                clf.fit(dense if name == "ours_f32" else view, y)
                template = clf.model_ if template is None else template
            wall = time.perf_counter() - start
            timer = callback.timer
            epochs[name].append(_common.median(timer.steady_epoch_seconds()))
            cpu[name].append(_common.median(timer.steady_epoch_cpu_seconds()))
            steps[name].append(_common.median(timer.steady_step_seconds()))
            walls[name].append(wall)
            outside[name].append(wall - sum(timer.epoch_seconds))
            print(
                f"   repeat {repeat} {name:9s}: epochs "
                + ", ".join(_common.seconds(t) for t in timer.epoch_seconds)
                + " (CPU "
                + ", ".join(_common.seconds(t) for t in timer.epoch_cpu_seconds)
                + f"); median step {_common.seconds(steps[name][-1])}; "
                f"fit wall {_common.seconds(wall)}",
                flush=True,
            )
    columns = (
        ("epoch wall", epochs),
        ("epoch CPU", cpu),
        ("step wall", steps),
        ("fit wall", walls),
        ("outside epochs", outside),
    )
    ratios = _print_table(f"A. end to end, {args.repeats} repeats", columns)
    return template, ratios, steps


def _print_table(title, columns, names=("keras", "ours_f32", "ours_view")):
    """Median of each column and the median of the ratios to the first variant, paired by round.

    Pairing compares runs made minutes apart at most, so a change of the machine's load between
    rounds cancels out; ``slower`` counts the rounds where the variant's epoch was slower.
    """
    print(f"\n{title}: medians, and median of the ratios to {names[0]} of the same round")
    header = f"{'variant':13s}"
    for label, _ in columns:
        header += f" {label:>14s} {'ratio':>6s}"
    print(header + "  slower")
    ratios = {}
    for name in names:
        row = f"{name:13s}"
        for label, values in columns:
            paired = [v / b for v, b in zip(values[name], values[names[0]], strict=True) if b]
            ratios[name, label] = _common.median(paired)
            row += f" {_common.seconds(_common.median(values[name])):>14s} "
            row += f"{ratios[name, label]:6.3f}"
        epoch = columns[0][1]
        slower = sum(v > b for v, b in zip(epoch[name], epoch[names[0]], strict=True))
        print(row + ("" if name == names[0] else f"  {slower}/{len(epoch[name])}"), flush=True)
    return ratios


# ----------------------------------------------------------- B: round by round, one network

PIPELINES = ("array", "batches_f32", "batches_view")


def _seeded_context():
    """scikeras' seeding context (TensorFlow op determinism on), or None off TensorFlow."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return None
    from scikeras.utils.random_state import tensorflow_random_state

    return tensorflow_random_state


def epoch_by_epoch(args, template, view, dense, y):
    import keras

    keras.backend.clear_session()
    n = min(args.epoch_windows, len(y))
    view, dense, y = view[:n], dense[:n], y[:n]
    model = compiled_clone(template)
    seeded = _seeded_context()
    names = PIPELINES + (("array_seeded",) if seeded else ())
    # Round 0 traces the training step for each input signature and is not timed. Each call
    # trains two epochs and only the second is timed: building the input pipeline (for arrays,
    # a tf.data graph) happens in the first.
    epochs = {name: [] for name in names}
    cpu = {name: [] for name in names}
    steps = {name: [] for name in names}
    for round_ in range(args.rounds + 1):
        for name in _common.rotated(names, round_):
            callback = _common.step_timer()
            if name in ("array", "array_seeded"):
                seeding = seeded(round_) if name == "array_seeded" else contextlib.nullcontext()
                with seeding:
                    model.fit(
                        dense,
                        y,
                        batch_size=32,
                        epochs=2,
                        shuffle=True,
                        verbose=0,
                        callbacks=[callback],
                    )
            else:
                X = dense if name == "batches_f32" else view
                model.fit(
                    window_batches(X, y, seed=round_), epochs=2, verbose=0, callbacks=[callback]
                )
            if round_ == 0:
                continue
            timer = callback.timer
            epochs[name].append(timer.epoch_seconds[1])
            cpu[name].append(timer.epoch_cpu_seconds[1])
            steps[name].append(_common.median(timer.step_seconds[1]))
            print(
                f"   round {round_} {name:13s}: epoch {_common.seconds(timer.epoch_seconds[1])}"
                f" (CPU {_common.seconds(timer.epoch_cpu_seconds[1])}), median step "
                f"{_common.seconds(steps[name][-1])}",
                flush=True,
            )
    columns = (("epoch wall", epochs), ("epoch CPU", cpu), ("step wall", steps))
    ratios = _print_table(
        f"B. round by round on one compiled network ({n} windows/epoch), {args.rounds} rounds",
        columns,
        names=names,
    )
    return ratios, steps


# ------------------------------------------------------------------ C: input pipeline alone


def pipeline_alone(args, view, dense, y):
    import keras

    if keras.backend.backend() != "tensorflow":
        print("\nC. input pipeline alone: skipped (TensorFlow backend only)")
        return None
    try:
        from keras.src.trainers.data_adapters import get_data_adapter
    except ImportError:  # a private Keras module: may move
        print("\nC. input pipeline alone: skipped (keras.src.trainers.data_adapters moved)")
        return None

    def seconds_per_batch(name):
        if name == "array":
            adapter = get_data_adapter(dense, y, batch_size=32, shuffle=True)
        else:
            adapter = get_data_adapter(
                window_batches(dense if name == "batches_f32" else view, y, seed=0), None
            )
        dataset = adapter.get_tf_dataset()
        for _ in dataset:  # warm up: graph and generator set-up
            pass
        wall, cpu, count = time.perf_counter(), time.process_time(), 0
        for _ in dataset:
            count += 1
        return (time.perf_counter() - wall) / count, (time.process_time() - cpu) / count

    walls = {name: [] for name in PIPELINES}
    cpus = {name: [] for name in PIPELINES}
    for round_ in range(5):
        for name in _common.rotated(PIPELINES, round_):
            wall, cpu = seconds_per_batch(name)
            walls[name].append(wall)
            cpus[name].append(cpu)
    print(f"\nC. input pipeline alone ({len(y)} windows, batch 32), medians over 5 rounds")
    print(f"{'pipeline':13s} {'wall/batch':>11s} {'CPU/batch':>10s}")
    for name in PIPELINES:
        print(
            f"{name:13s} {_common.seconds(_common.median(walls[name])):>11s} "
            f"{_common.seconds(_common.median(cpus[name])):>10s}"
        )
    return {name: _common.median(cpus[name]) for name in PIPELINES}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=5000, help="training windows (5000)")
    parser.add_argument("--timesteps", type=int, default=30)
    parser.add_argument("--features", type=int, default=31)
    parser.add_argument("--epochs", type=int, default=2, help="epochs per fit in A, >= 2 (2)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2, help="fits per variant in A (2)")
    parser.add_argument(
        "--rounds", type=int, default=12, help="timed epochs per pipeline in B (12)"
    )
    parser.add_argument(
        "--epoch-windows",
        type=int,
        default=650,
        help="windows per epoch in B (650: 20 full batches and a partial one)",
    )
    parser.add_argument("--parts", default="ABC", help="which measurements to run (ABC)")
    args = parser.parse_args(argv)
    args.parts = args.parts.upper()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is left out as tracing")

    _common.print_header("fit overhead: AttentionLSTMClassifier.fit vs Keras Model.fit")
    view, dense, y = make_data(args.windows, args.timesteps, args.features)
    print(
        f"   {args.windows} windows of {args.timesteps}x{args.features}, epochs={args.epochs}, "
        f"batch {args.batch_size}; view {view.dtype}, C-contiguous={view.flags.c_contiguous}"
    )

    ratios_a = ratios_b = pipeline_cpu = step = None
    if "A" in args.parts or "B" in args.parts:
        if "A" in args.parts:
            template, ratios_a, steps_a = end_to_end(args, view, dense, y)
            step = _common.median(steps_a["keras"])
        else:  # B alone: fit once, untimed, for the network to clone
            clf = make_classifier(args, []).set_params(epochs=1)
            template = clf.fit(dense[:64], y[:64]).model_
        if "B" in args.parts:
            ratios_b, steps_b = epoch_by_epoch(args, template, view, dense, y)
            step = step or _common.median(steps_b["array"])
    if "C" in args.parts:
        pipeline_cpu = pipeline_alone(args, view, dense, y)

    print("\nverdict (target: ours/keras <= 1.05 per epoch, first epoch excluded)")
    for label, ratios, names in (
        ("A end to end", ratios_a, ("ours_f32", "ours_view")),
        ("B round by round", ratios_b, ("batches_f32", "batches_view")),
    ):
        if ratios is None:
            continue
        for key in ("epoch wall", "epoch CPU"):
            worst = max(ratios[name, key] for name in names)
            print(
                f"   {label:16s} {key:10s}: worst paired ratio {worst:.3f} -> "
                f"{'met' if worst <= 1.05 else 'NOT met'}"
            )
    if ratios_b and ("array_seeded", "epoch wall") in ratios_b:
        print(
            f"   B: seeding (random_state=int -> TF op determinism) costs "
            f"{ratios_b['array_seeded', 'epoch wall']:.3f}x epoch wall, "
            f"{ratios_b['array_seeded', 'epoch CPU']:.3f}x epoch CPU time"
        )
    if pipeline_cpu is not None and step:
        for name in ("batches_f32", "batches_view"):
            extra = pipeline_cpu[name] - pipeline_cpu["array"]
            print(
                f"   C: {name} costs {_common.seconds(extra)} more CPU per batch than the "
                f"array's pipeline = {extra / step:.1%} of a {_common.seconds(step)} step "
                f"-> bound {1 + max(extra, 0) / step:.3f} "
                f"({'met' if 1 + extra / step <= 1.05 else 'NOT met'})"
            )
    print(
        "   Wall and CPU times on a shared machine carry the noise of its load (+-20% per "
        "epoch here); the pipeline cost in C is the steady evidence."
    )


if __name__ == "__main__":
    main()
