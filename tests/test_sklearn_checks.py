"""scikit-learn's own estimator checks over every estimator sktemporal ships.

Expected failures carry the reason they cannot pass; no tag is set to skip a check.
"""

import functools

from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from sktemporal import AttentionLSTMClassifier, SlidingWindowTransformer, TransformerClassifier

# Small enough to keep the suite fast (a fit costs about 2 s, mostly TensorFlow tracing the
# training step, so epochs are cheap), trained enough to pass check_classifiers_train's accuracy
# bar honestly, without the `poor_score` tag.
_FAST_TRAINING = dict(
    dense_units=8,
    epochs=20,
    batch_size=16,
    learning_rate=0.02,
    validation_fraction=0.0,
    patience=None,
    random_state=0,
    stem_filters=(4,),
    stem_kernel_sizes=(3,),
)
ESTIMATORS = [
    SlidingWindowTransformer(sequence_length=3),
    AttentionLSTMClassifier(
        lstm_units=4, attention_units=4, bidirectional=False, **_FAST_TRAINING
    ),
    TransformerClassifier(d_model=8, num_heads=2, num_layers=1, ff_dim=8, **_FAST_TRAINING),
]

_ROW_ORDER_MATTERS = (
    "A window is made of a row and the rows before it, so transforming a permuted or partial "
    "table gives different windows by design; per-row invariance does not hold for sequences."
)
_STOCHASTIC_MINI_BATCHES = (
    "Training is mini-batch gradient descent over shuffled batches: a sample of weight 2 and "
    "two copies of the sample fall in different batches and give different updates, so the "
    "fitted networks differ. Weights of 0 and 1 are exact (zero-weight rows are dropped)."
)


_FLOAT32_BATCH_POSITION = (
    "The network computes in float32, and TensorFlow's oneDNN kernels for attention reduce in an "
    "order that depends on where a row sits in the batch: a window can move in the last bit "
    "(seen: 6e-8) when the rows are permuted. The check's rtol=1e-7 is below float32's "
    "resolution (1.2e-7), so it fails or passes by chance; the subset check (atol=1e-7) passes."
)


def _expected_failed_checks(estimator):
    if isinstance(estimator, SlidingWindowTransformer):
        return {
            "check_methods_sample_order_invariance": _ROW_ORDER_MATTERS,
            "check_methods_subset_invariance": _ROW_ORDER_MATTERS,
        }
    expected = {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC_MINI_BATCHES}
    if isinstance(estimator, TransformerClassifier):
        expected["check_methods_sample_order_invariance"] = _FLOAT32_BATCH_POSITION
    return expected


# These checks score what the network learned (accuracy on an easy problem, every class
# predicted, class weights moving the predictions) and get the 20 epochs; every other check
# tests the API's behaviour, which two epochs exercise as well, in a tenth of the time.
# (They also pass at two epochs here, but by a margin that another CPU's rounding could erase.)
_CHECKS_THAT_NEED_LEARNING = {
    "check_classifiers_train",
    "check_classifiers_classes",
    "check_class_weight_classifiers",
}


def _check_name(check):
    while isinstance(check, functools.partial):
        check = check.func
    return check.__name__


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_scikit_learn_compatible_estimator(estimator, check):
    if "epochs" in estimator.get_params() and _check_name(check) not in _CHECKS_THAT_NEED_LEARNING:
        estimator = clone(estimator).set_params(epochs=2)
    check(estimator)
