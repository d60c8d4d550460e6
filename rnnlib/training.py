"""The one training loop of the course, and the two ways the chapters feed it.

:func:`train` makes the updates.  For each batch it takes from a stream of batches::

    lr            = lr_schedule(u)            if a schedule is given (u = updates made so far)
    loss, grads   = loss(*batch)
    drop grads[name]                          for every frozen parameter
    norm          = ||grads||                 the global norm, before clipping
    grads         = grads * min(1, clip_norm / norm)   if clipping
    optimizer.step(trainable, grads)          the parameters that are not frozen

and it logs every update: the loss, the gradient norm before clipping, the learning rate
and the batch size.  It stops after ``steps`` updates, when the stream ends, or when a
``stop`` rule says so.  Given a ``validate`` function it measures a validation loss before
the first update, every ``eval_every`` updates and after the last, and with
``keep_best`` it puts back the parameters of the lowest measurement at the end (early
stopping).

The two wrappers only build the stream of batches and the loss:

- :func:`fit` (chapters 1 to 8): shuffled mini-batches of a data set, epoch after epoch;
  it returns the example-weighted mean loss of every epoch, read from the log;
- :func:`train_tbptt` (chapter 7): the chunks of parallel text streams, in order, with the
  hidden state carried from each chunk into the next (truncated BPTT).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from rnnlib._checks import Shapes, _describe, check_rng, positive_float, positive_int
from rnnlib._types import Array, IntArray
from rnnlib.charlm import CharLM, State, num_chunks, state_norm, stream_chunks
from rnnlib.data import minibatches
from rnnlib.metrics import evaluate
from rnnlib.optim import Optimizer, clip_grad_norm, global_norm
from rnnlib.regularisation import check_dropout_rate

__all__ = ["Trainable", "fit", "train", "train_tbptt"]

#: What :func:`train` returns: name -> ndarray, one entry per update (or per validation measurement).
Log = dict[str, NDArray[Any]]
#: A batch: the arguments of the loss, arrays whose first dimension is the batch size N.
Batch = tuple[np.ndarray, ...]


class Trainable(Protocol):
    """Anything :func:`fit` can train: parameters in a dict, and a loss that returns its gradients."""

    params: dict[str, Array]

    def loss(self, *batch: np.ndarray) -> tuple[float, dict[str, Array]]: ...


def _check_optimizer(optimizer: object) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be an rnnlib.optim optimizer such as Adam(lr=0.01); got {_describe(optimizer)}"
        )
    return optimizer


def train(
    params: dict[str, Array],
    loss: Callable[..., tuple[float, dict[str, Array]]],
    batches: Iterable[Batch],
    optimizer: Optimizer,
    steps: int | None = None,
    clip_norm: float | None = None,
    lr_schedule: Callable[[int], float] | None = None,
    frozen: Sequence[str] = (),
    validate: Callable[[], float] | None = None,
    eval_every: int = 50,
    keep_best: bool = False,
    stop: Callable[[Log], bool] | None = None,
) -> Log:
    """Update ``params`` in place, one optimiser step per batch, and log every update.

    Parameters
    ----------
    params : dict
        name -> float array, the parameters to train (e.g. ``model.params``)
    loss : callable
        ``loss(*batch) -> (loss, grads)``, the mean loss of one batch and its gradients
        keyed like ``params`` (e.g. ``model.loss``)
    batches : iterable of tuple
        the batches in the order they are used, each a tuple of the arguments of
        ``loss`` whose first array has the batch size N as its first dimension;
        a generator may be endless if ``steps`` or ``stop`` ends the training
    optimizer : Optimizer
        an :class:`rnnlib.optim.Optimizer`; its ``lr`` is set by ``lr_schedule``
    steps : int | None
        the budget: at most this many updates (default: until ``batches`` ends)
    clip_norm : float | None
        if set, rescale the gradients to this global norm when they exceed it
    lr_schedule : callable | None
        function of the update index u (0, 1, ...) returning the learning rate of
        update u, e.g. ``lambda u: cosine_schedule(u, steps, 0.01)``
    frozen : sequence of str
        names of parameters kept at their values: the optimiser never sees them, so
        neither momentum nor weight decay moves them, and their gradients do not
        count in the gradient norm
    validate : callable | None
        a function of no arguments returning a validation loss; if given, it is
        measured before the first update, after every ``eval_every`` updates and
        after the last update
    eval_every : int
        updates between two validation measurements
    keep_best : bool
        early stopping: at the end, put back the parameters of the validation
        measurement with the lowest loss (needs ``validate``)
    stop : callable | None
        ``stop(log) -> bool``, asked after every update with the log so far (the
        dict this function returns); True ends the training there

    Returns
    -------
    log : dict
        ndarrays of shape (updates,): ``"loss"`` (the loss of each batch, before its
        update), ``"grad_norm"`` (the global gradient norm before clipping), ``"lr"``
        (the learning rate used) and ``"batch_size"`` (N).  With ``validate``, also
        ``"val_step"`` and ``"val_loss"`` of shape (measurements,), the number of
        updates made before each measurement and the loss measured, and
        ``"best_step"``, the ``val_step`` of the lowest one (an array of shape ())
    """
    if not isinstance(params, dict) or not all(isinstance(p, np.ndarray) for p in params.values()):
        raise TypeError(f"params must be a dict of name -> array, e.g. model.params; got {_describe(params)}")
    if not callable(loss):
        raise TypeError(
            f"loss must be a function of a batch returning (loss, grads), e.g. model.loss; got {_describe(loss)}"
        )
    if isinstance(batches, (tuple, np.ndarray)) or not isinstance(batches, Iterable):
        raise TypeError(
            f"batches must be an iterable of batches (tuples of arrays), e.g. a generator; got {_describe(batches)}"
        )
    optimizer = _check_optimizer(optimizer)
    total = None if steps is None else positive_int("steps", steps)
    if clip_norm is not None:  # checked here, before any training, under the name the caller used
        clip_norm = positive_float("clip_norm", clip_norm)
    for name, f, what in (
        ("lr_schedule", lr_schedule, "a function of the step (the update index) returning the learning rate"),
        ("validate", validate, "a function of no arguments returning the validation loss"),
        ("stop", stop, "a function of the log so far returning True to stop"),
    ):
        if f is not None and not callable(f):
            raise TypeError(f"{name} must be {what}, or None; got {_describe(f)}")
    if isinstance(frozen, str) or not all(name in params for name in frozen):
        raise ValueError(f"frozen must be a tuple of parameter names from {sorted(params)}; got {frozen!r}")
    eval_every = positive_int("eval_every", eval_every)
    if keep_best and validate is None:
        raise ValueError("keep_best needs validate, the function that measures the validation loss")

    columns: dict[str, list[float]] = {"loss": [], "grad_norm": [], "lr": []}
    sizes: list[int] = []
    val_steps: list[int] = []
    val_losses: list[float] = []
    best: tuple[float, dict[str, Array]] | None = None

    def measure(u: int) -> None:
        nonlocal best
        assert validate is not None  # measure runs only with a validation function
        v = float(validate())
        val_steps.append(u)
        val_losses.append(v)
        if keep_best and (best is None or v < best[0]):
            best = (v, {name: a.copy() for name, a in params.items()})

    def log_so_far() -> Log:
        log = {key: np.array(values, dtype=np.float64) for key, values in columns.items()}
        log["batch_size"] = np.array(sizes, dtype=np.int64)
        if validate is not None:
            log |= {"val_step": np.array(val_steps, dtype=np.int64), "val_loss": np.array(val_losses)}
            log["best_step"] = np.array(val_steps[int(np.argmin(val_losses))])
        return log

    trainable = {name: a for name, a in params.items() if name not in frozen}
    if validate is not None:
        measure(0)
    u = 0  # updates made so far
    for batch in batches if total is None else _first(batches, total):
        if not isinstance(batch, tuple) or not batch:
            raise TypeError(f"batches must yield tuples of arrays, the arguments of loss; got {_describe(batch)}")
        if lr_schedule is not None:
            optimizer.lr = float(lr_schedule(u))
        value, grads = loss(*batch)
        # frozen parameters are left out of the step, not only given a zero gradient:
        # weight decay and momentum would move them otherwise
        grads = {name: g for name, g in grads.items() if name not in frozen}
        if clip_norm is not None:
            grads, norm = clip_grad_norm(grads, clip_norm)
        else:
            norm = global_norm(grads)
        optimizer.step(trainable, grads)
        u += 1
        columns["loss"].append(float(value))
        columns["grad_norm"].append(norm)
        columns["lr"].append(optimizer.lr)
        sizes.append(len(batch[0]))
        if validate is not None and u % eval_every == 0:
            measure(u)
        if stop is not None and stop(log_so_far()):
            break
    if validate is not None and val_steps[-1] != u:  # the last update is always measured
        measure(u)
    if best is not None:
        for name, a in best[1].items():
            params[name][...] = a
    return log_so_far()


def _first(batches: Iterable[Batch], n: int) -> Iterator[Batch]:
    """The first n batches, without asking the stream for an (n + 1)-th."""
    for i, batch in enumerate(batches, start=1):
        yield batch
        if i == n:
            return


# ---------------------------------------------------------------------------
# Mini-batches of a data set, epoch after epoch
# ---------------------------------------------------------------------------


def fit(
    model: Trainable,
    data: tuple[np.ndarray, ...],
    optimizer: Optimizer,
    rng: np.random.Generator,
    epochs: int = 10,
    batch_size: int = 32,
    clip_norm: float | None = None,
    print_every: int = 0,
    lr_schedule: Callable[[int], float] | None = None,
) -> list[float]:
    """Train ``model`` with mini-batches drawn from ``rng``; return the mean loss of every epoch.

    Each epoch shows every example once, in an order drawn from ``rng`` at the start of the
    epoch (:func:`rnnlib.data.minibatches`); :func:`train` makes the updates.

    Parameters
    ----------
    model : object
        anything with ``params`` and ``loss(*batch) -> (loss, grads)``
    data : tuple of ndarray
        the arrays ``model.loss`` takes, all with first dimension N,
        e.g. ``(ids, y, mask)``
    optimizer : Optimizer
        an :class:`rnnlib.optim.Optimizer`
    rng : np.random.Generator
        that orders the examples every epoch
    epochs, batch_size : positive ints
        each epoch makes ceil(N / batch_size) updates, the last batch taking the rest
    clip_norm : float | None
        if set, rescale the gradients to at most this global norm
    print_every : int
        print the mean loss of every this many epochs as each ends (0: silent)
    lr_schedule : callable | None
        function of the update index (0-based, counted across epochs) returning the
        learning rate, as in :func:`train`

    Returns
    -------
    history : list
        of floats, the mean training loss of each epoch, weighted by the examples of each
        batch (a short last batch counts for its examples only)
    """
    epochs = positive_int("epochs", epochs)
    optimizer = _check_optimizer(optimizer)
    if not isinstance(data, tuple):
        raise TypeError(f"data must be a tuple of arrays, e.g. (ids, y, mask); got {_describe(data)}")
    if not data or len(data[0]) == 0:
        raise ValueError(
            f"data must hold at least one example; got {len(data)} arrays" + (", the first of length 0" if data else "")
        )
    batch_size = positive_int("batch_size", batch_size)
    rng = check_rng(rng)

    def epoch_after_epoch() -> Iterator[Batch]:
        for _ in range(epochs):
            yield from minibatches(*data, batch_size=batch_size, rng=rng)

    per_epoch = -(-len(data[0]) // batch_size)  # updates in one epoch

    def epoch_mean(log: Log, epoch: int) -> float:
        updates = slice(epoch * per_epoch, (epoch + 1) * per_epoch)
        sizes = log["batch_size"][updates]
        return float(sum(log["loss"][updates] * sizes) / sum(sizes))  # summed in order, as the batches came

    def report(log: Log) -> bool:  # prints as training goes, and never stops it
        u = len(log["loss"])
        if u % per_epoch == 0 and (u // per_epoch) % print_every == 0:
            print(f"epoch {u // per_epoch:3d}  loss {epoch_mean(log, u // per_epoch - 1):.4f}")
        return False

    log = train(
        model.params,
        model.loss,
        epoch_after_epoch(),
        optimizer,
        clip_norm=clip_norm,
        lr_schedule=lr_schedule,
        stop=report if print_every else None,
    )
    return [epoch_mean(log, epoch) for epoch in range(epochs)]


# ---------------------------------------------------------------------------
# Truncated BPTT: the chunks of parallel streams, with the state carried across chunks
# ---------------------------------------------------------------------------


def train_tbptt(
    model: CharLM,
    streams: IntArray,
    optimizer: Optimizer,
    chunk_length: int,
    steps: int | None = None,
    epochs: int = 1,
    clip_norm: float | None = None,
    lr_schedule: Callable[[int], float] | None = None,
    frozen: tuple[str, ...] = (),
    dropout: float = 0.0,
    variational: bool = False,
    rng: np.random.Generator | None = None,
    validation: IntArray | None = None,
    eval_every: int = 50,
    keep_best: bool = False,
    input_dropout: float = 0.0,
) -> Log:
    """Train on parallel streams with truncated BPTT, carrying the state across chunks.

    Each pass starts every stream from a zero state and walks along the chunks in
    order (the order matters, because each chunk continues the previous one; nothing
    is shuffled).  After each chunk the final state is kept as a plain array for the
    next chunk, without its history: gradients never flow further back than the start
    of the current chunk.  :func:`train` makes the updates.

    Parameters
    ----------
    model : CharLM
        the :class:`rnnlib.charlm.CharLM` to train (its ``params`` are updated in place)
    streams : ndarray of shape (N, S)
        from :func:`rnnlib.charlm.text_streams`
    optimizer : Optimizer
        an :class:`rnnlib.optim.Optimizer`
    chunk_length : int
        k, the truncation length
    steps : int | None
        stop after this many updates (default: ``epochs`` full passes)
    epochs : int
        passes over the streams (repeated until ``steps`` when it is given)
    clip_norm : float | None
        if set, rescale the gradients to this global norm when they exceed it
    lr_schedule : callable | None
        optional function of the update index (0-based) returning the
        learning rate, e.g. ``lambda s: cosine_schedule(s, total, 0.01)``
    frozen : tuple of str
        names of parameters kept at their starting values (e.g. ``("W_hh",)``);
        their gradients are set to zero before clipping, so they neither move nor
        count in the gradient norm
    dropout : float
        rate of dropout on the states h_t the output layer reads, during training
        (see :meth:`rnnlib.charlm.CharLM.forward`); 0, the default, is off.  Evaluation never drops
    variational : bool
        with dropout, one mask per stream and chunk, shared by the chunk's steps
    rng : np.random.Generator | None
        draws the dropout masks; required when a dropout rate is above 0
    validation : ndarray of shape (N_val, S_val) | None
        validation streams (from :func:`rnnlib.charlm.text_streams`); if given, the mean
        cross-entropy on them (:func:`rnnlib.metrics.evaluate`, chunks of ``chunk_length``) is
        measured before the first update, after every ``eval_every`` updates and after the last
    eval_every : int
        updates between two validation measurements
    keep_best : bool
        early stopping: at the end, put back the parameters of the measurement with
        the lowest validation loss (needs ``validation``)
    input_dropout : float
        rate of dropout on the inputs x_t during training; 0, the default, is off

    Returns
    -------
    log : dict
        the log of :func:`train` (``"loss"``, the training cross-entropy of each chunk
        before its update, ``"grad_norm"``, ``"lr"``, ``"batch_size"`` = N, and with
        ``validation`` also ``"val_step"``, ``"val_loss"`` and ``"best_step"``) and
        ``"state_norm"`` of shape (updates,): the mean over streams of the norm of the
        top layer's state carried out of each chunk
    """
    if not isinstance(model, CharLM):
        raise TypeError(f"model must be an rnnlib.charlm.CharLM; got {_describe(model)}")
    optimizer = _check_optimizer(optimizer)
    streams = Shapes().ints("streams", streams, ("N", "S"), high=model.vocab_size)
    k = positive_int("chunk_length", chunk_length)
    epochs = positive_int("epochs", epochs)
    total = num_chunks(streams.size, streams.shape[0], k) * epochs if steps is None else positive_int("steps", steps)
    rate, rate_in = check_dropout_rate(dropout), check_dropout_rate(input_dropout)
    if rate > 0 or rate_in > 0:
        rng = check_rng(rng)
    if keep_best and validation is None:
        raise ValueError("keep_best needs validation streams to choose the best parameters from")
    validate = None
    if validation is not None:
        held = Shapes().ints("validation", validation, ("N", "S"), high=model.vocab_size)
        if held.shape[1] - 1 < k:
            raise ValueError(
                f"validation streams must hold more than chunk_length = {k} characters each; "
                f"got shape {held.shape}. Use fewer validation streams."
            )

        def validate() -> float:
            return evaluate(model, held, k)

    carried: dict[str, State] = {}  # the state carried out of the last chunk, into the next
    state_norms: list[float] = []

    def passes() -> Iterator[Batch]:  # pass after pass over the chunks, each pass from zero states
        while True:
            carried["state"] = model.initial_state(streams.shape[0])
            yield from stream_chunks(streams, k)

    def chunk_loss(x: IntArray, y: IntArray) -> tuple[float, dict[str, Array]]:
        value, grads, carried["state"] = model.loss_and_state(x, y, carried["state"], rate, variational, rng, rate_in)
        state_norms.append(state_norm(carried["state"]))
        return value, grads

    log = train(
        model.params,
        chunk_loss,
        passes(),
        optimizer,
        steps=total,
        clip_norm=clip_norm,
        lr_schedule=lr_schedule,
        frozen=frozen,
        validate=validate,
        eval_every=eval_every,
        keep_best=keep_best,
    )
    return log | {"state_norm": np.array(state_norms)}
