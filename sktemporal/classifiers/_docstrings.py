"""The parameter and attribute docs the two deep classifiers share, written once.

Both classifiers take the same training, stem and head parameters; only their network's own
parameters differ. Their docstrings hold placeholders that :func:`fill_doc` replaces with the
fragments below, as MNE-Python's ``fill_doc`` and pandas' ``Substitution`` do, so the shared
text has one source and ``help()``, numpydoc and the API pages still show it in full.
"""

import re

__all__ = ["fill_doc"]

_SHARED_PARAMETERS = """\
    stem_filters : tuple of int, default=(128, 256, 128)
        Filters of the convolutional stem's blocks (``Conv1D → BatchNormalization → ReLU``),
        which read the raw steps before {body}; ``()`` turns the stem off and feeds the raw
        steps to {body} (``stem_kernel_sizes`` is then ignored).
    stem_kernel_sizes : tuple of int, default=(8, 5, 3)
        Kernel size of each stem block, one per filter count.
    stem_max_steps : int, default=64
        Longest sequence the stem hands to {body}: longer windows are max-pooled after the
        first stem block, ``ceil(timesteps / stem_max_steps)`` steps into one.
    deep_supervision : float, default=1.0
        Weight of an auxiliary head's cross-entropy in the training loss: a second classifier
        on the stem's features averaged over time, trained beside the main head so that the
        stem learns features that classify on their own rather than leaving the whole fit to
        {body} (deep supervision, Lee et al., AISTATS 2015). ``0`` leaves the auxiliary
        head out; without a stem there is none.
    ensemble_heads : bool, default=True
        With the auxiliary head, ``predict_proba`` is the mean of its probabilities and the
        main head's: a two-member ensemble of the attention network and the stem's fully
        convolutional classifier, as ALSTM-FCN pairs them (Karim et al., 2018). ``False``
        predicts from the main head alone. ``attention_weights_`` describe the main head.
    dense_units : int, default=64
        Units of the head's ``Dense(relu)`` layer.
    epochs : int or "auto", default="auto"
        Maximum number of passes over the training windows. ``"auto"`` plans enough epochs
        for ``min_steps`` gradient steps, and at least 10.
    min_steps : int, default=1000
        Gradient steps that ``epochs="auto"`` plans for at least.
    batch_size : int, default=32
        Windows per gradient step.
    optimizer : str or keras.optimizers.Optimizer, default="adamw"
        Optimizer name or instance (an instance is copied, never trained in place, and used as
        it is: the four options below apply to a name only).
    learning_rate : float, default=0.001
        Peak learning rate when ``optimizer`` is a name.
    learning_rate_schedule : {"cosine", "plateau", "constant"}, default="cosine"
        ``"cosine"``: warm-up over the first 5 % of the planned steps, then cosine decay to 1 %
        of ``learning_rate``; ``"plateau"``: halve it when the monitored loss stalls;
        ``"constant"``: no schedule.
    weight_decay : float, default=0.01
        Decoupled weight decay (AdamW's); 0 for none.
    gradient_clip : float or None, default=1.0
        Largest norm of the gradient of each weight (Keras' ``clipnorm``, applied weight by
        weight); None disables clipping.
    validation_fraction : float, default=0.1
        Share of the training windows taken from the **end**, in time order, to monitor
        ``val_loss`` — used only when that tail holds at least ``min_validation_windows``
        windows and every class of the rows before it; otherwise the training loss is
        monitored. 0 disables the hold-out.
    min_validation_windows : int, default=200
        Smallest validation tail worth monitoring.
    patience : int or None, default=10
        Epochs without a better ``val_loss`` before training stops. The weights of the epoch
        with the best monitored loss (validation, else training) are restored at the end.
        ``None`` disables both.
    normalize_inputs : bool, default=True
        Standardise each feature inside the network with statistics learned in ``fit``.
    store_attention : bool, default=True
        Average the attention over the training windows into ``attention_weights_`` at the
        end of ``fit``. ``False`` leaves it None and saves that forward pass over the
        training windows, for models that only predict (the folds of a cross-validation);
        ``get_attention_weights(X)`` works either way.
    augmentation : None, bool or dict, default=None
        Random shift in time, magnitude scaling and noise of the training windows, drawn per
        batch and never applied at prediction
        (:class:`~sktemporal.layers.WindowAugmentation`). ``True`` gives
        ``{"shift": 0.1, "scale": 0.1, "noise": 0.03}``; a dict sets some of them (the others
        are off); None or False: no augmentation.
    precision : {"float32", "mixed_bfloat16", "mixed_float16"}, default="float32"
        Dtype policy of this model's layers (never Keras' process-wide one): mixed policies
        compute in 16 bits and keep weights, input normalisation, attention weights and
        probabilities in float32; ``"mixed_float16"`` scales the loss.
    class_weight : dict, "balanced" or None, default=None
        Weights by class label, applied to the training loss.
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks. ``clone`` (and so every search and ``cross_val_score``) copies
        the list but not the callbacks in it: one ``CSVLogger`` or ``TensorBoard`` instance is
        shared by every clone and each fit writes to the same file or folder (give each fit
        its own, or use ``n_jobs=1`` and read them in order). ``TensorBoard`` needs the
        ``tensorboard`` package on every backend, JAX included.
    random_state : int, RandomState instance or None, default=None
        Seed for initialisation, dropout and shuffling; an int makes ``fit`` repeatable on CPU.
    verbose : int, default=0
        0 silent, 1 Keras progress bar, 2 one line per epoch.
    checkpoint_dir : str, os.PathLike or None, default=None
        Folder for a backup of the model after every epoch; an interrupted ``fit`` resumes from
        it when called again with the same folder.
    devices : None, "all" or list of str, default=None
        Train data-parallel over these devices (e.g. ``["gpu:0", "gpu:1"]``; ``"all"``: every
        accelerator). ``batch_size`` must be a multiple of their number; prediction runs on
        one device.

"""

_SHARED_ATTRIBUTES = """\
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Size of axis 1 of ``X`` in ``fit``, as scikit-learn counts it: the time steps of each
        window (see ``n_channels_`` for the features per time step).
    n_timesteps_ : int
        Time steps per window.
    n_channels_ : int
        Features per time step (1 for 2-D input).
    model_ : keras.Model
        The trained network, from windows to class probabilities.
    history_ : dict of str to list of float
        Per epoch: ``loss`` and ``accuracy`` on the training windows, with ``val_loss`` and
        ``val_accuracy`` on the validation tail when one is held out. ``loss`` and
        ``val_loss`` are the same quantity, the cross-entropy of the predicted probabilities.
        With the auxiliary head (``deep_supervision``), the loss that training minimises is
        the sum of the two heads' cross-entropies, recorded as ``objective``; ``loss`` and
        ``accuracy`` are then measured on the predictions, without dropout, at the end of
        each epoch (on at most 512 training windows spread evenly over the training set).
    n_iter_ : int
        Epochs run.
"""

_PLACEHOLDER = re.compile(r"^ *%\((shared_parameters|shared_attributes)\)s\n", re.MULTILINE)


def fill_doc(body):
    """Class decorator: put the shared parameter and attribute docs in the docstring.

    Parameters
    ----------
    body : str
        What the stem hands its output to, in words (``"the LSTMs"``, ``"the encoder"``).

    Returns
    -------
    callable
        The decorator, which replaces the lines ``%(shared_parameters)s`` and
        ``%(shared_attributes)s`` of the class's docstring and returns the class.
    """
    fragments = {
        "shared_parameters": _SHARED_PARAMETERS.replace("{body}", body),
        "shared_attributes": _SHARED_ATTRIBUTES,
    }

    def decorate(cls):
        cls.__doc__ = _PLACEHOLDER.sub(lambda match: fragments[match.group(1)], cls.__doc__)
        return cls

    return decorate
