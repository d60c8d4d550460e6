"""rnnlib: the small, tested, pure-numpy library behind the course
"Recurrent Neural Networks from Basic to Advanced".

The contract every module keeps (``tests/test_contract.py`` checks it across the package):

1. **Batch-first arrays.**  The batch axis comes first, then time: inputs x (N, T, D),
   token ids (N, T), masks (N, T) (True on real steps, right-padded), one state h (N, H),
   all states hs (N, T, H) (or (N, T, 2H) when bidirectional), scores (N, T, V), one
   output per sequence (N, K).  Parameters are (fan_in, fan_out) matrices used as
   ``x @ W``, and recurrent cells pack their gates side by side, W_x (D, G*H).

2. **Layers are forward/backward pairs.**  ``*_forward(inputs..., mask=None, options)``
   returns ``(out, cache)``: the output, then one cache for the backward pass (a cell's
   single step that carries two states returns ``(h, c, cache)``).
   ``*_backward(dout, cache)`` takes the upstream gradient of every output and returns
   one gradient per float array the forward took, in the forward's order (integer ids,
   masks and options have none): ``rnn_backward`` returns (dx, dh0, dW_xh, dW_hh, db_h)
   for ``rnn_forward(x, h0, W_xh, W_hh, b_h)``.  Gradients from outside the layer that
   reach a value other than ``out`` come in as keywords (``dc_final=``, ``dweights=``).
   Layer objects with a parameter dict follow the same rule: ``Recurrent.backward``
   returns ``(dx, dh0, grads)``, grads a dict keyed like the parameters.  A cell state
   (the LSTM's c) does not change that count: its final gradient comes in as
   ``dfinal_c=`` and the gradient of ``c0`` goes out as the attribute ``.dc0`` of the
   result (a :class:`rnnlib.recurrent.RecurrentGrads`; None if c0 was None or the cell
   has no cell state), so ``dx, dh0, grads = layer.backward(...)`` holds for every cell.

3. **Caches are batch-first too.**  A cache holds what the backward pass reads, under
   names: a recurrent layer's ``cache["hs"]`` is its states (N, T, H), and every gate of
   the LSTM and GRU is an (N, T, H) array read with ``lstm_gates`` / ``gru_gates``.
   Keys that begin with ``_`` are the private storage of a tuned implementation.

4. **Models.**  A model keeps its parameters in ``model.params`` (name -> array) and has
   ``loss(*batch) -> (loss, grads)``, grads keyed like ``params``; where it exposes
   them, ``forward(inputs) -> (out, cache)`` and ``backward(dout, cache) -> grads``.

5. **A fixed number of results.**  No function returns a different number of values
   depending on an argument: no ``return_*`` flags.  A second result that is wanted only
   sometimes has its own function: ``rnn_state_gradients`` (and the LSTM's and GRU's)
   beside ``rnn_backward``, ``Recurrent.state_gradients`` and a model's
   ``state_gradients`` for the deltas dL/dh_t (N, T, H); ``translate_with_attention``
   beside ``translate``.

6. **Randomness is injected.**  Anything random takes ``rng: np.random.Generator``;
   there is no global seed, and the same generator state gives the same result.  The
   two places that make a generator of their own from a seed are listed, with their
   reasons, in ``tests/test_contract.py`` (``SEEDED_GENERATORS``).

7. **Errors say what was expected and what was received**, naming the argument:
   ``W_xh must have shape (D=2, H=6) (set by x); got (5, 6) (axis 0 is 5, expected 2)``.

8. **Readable code first.**  ``rnn.py``, ``lstm.py`` and ``gru.py`` hold the cells as the
   chapters quote them: step functions, and sequence functions that loop over them.
   The tuned versions that :class:`rnnlib.recurrent.Recurrent` runs live apart, in
   ``rnnlib._fast``, and the tests hold the two to each other to 1e-12.

Importing rnnlib limits BLAS to one thread unless OPENBLAS_NUM_THREADS, OMP_NUM_THREADS
or MKL_NUM_THREADS is set (see rnnlib/_threads.py): the course's matrices are small.
"""


from rnnlib._threads import limit_blas_threads
from rnnlib.activations import log_sigmoid, log_softmax, logsumexp, relu, sigmoid, softmax, softplus
from rnnlib.architectures import EncoderDecoder, ManyToManyTagger, OneToManyGenerator
from rnnlib.data import PAD, UNK, Vocabulary, bag_of_words, minibatches, one_hot, pad_sequences, tokenize
from rnnlib.datasets import load_alice, load_nino12_sst, make_reviews
from rnnlib.exercises import check_answer, check_function
from rnnlib.gradcheck import (
    check_gradients,
    check_layer_gradients,
    numerical_gradient,
    numerical_gradient_array,
    rel_error,
)
from rnnlib.gru import gru_backward, gru_forward, gru_state_gradients
from rnnlib.io import load_into, load_params, save_params
from rnnlib.layers import (
    embedding_backward,
    embedding_forward,
    last_step_affine_backward,
    last_step_affine_forward,
    temporal_affine_backward,
    temporal_affine_forward,
)
from rnnlib.losses import binary_cross_entropy, mean_squared_error, softmax_cross_entropy
from rnnlib.lstm import lstm_backward, lstm_forward, lstm_state_gradients
from rnnlib.models import BagOfWordsClassifier, ManyToOne
from rnnlib.ngram import CharNGram, compressed_bits_per_char
from rnnlib.optim import SGD, Adam, clip_grad_norm, cosine_schedule, exponential_schedule, global_norm
from rnnlib.recurrent import CELLS, Recurrent
from rnnlib.rnn import rnn_backward, rnn_forward, rnn_state_gradients, rnn_step_backward, rnn_step_forward
from rnnlib.training import fit, train

limit_blas_threads()

__version__ = "0.1.0"

__all__ = [
    "EncoderDecoder",
    "ManyToManyTagger",
    "OneToManyGenerator",
    "check_answer",
    "check_function",
    "check_gradients",
    "check_layer_gradients",
    "load_alice",
    "load_nino12_sst",
    "make_reviews",
    "CELLS",
    "Recurrent",
    "cosine_schedule",
    "exponential_schedule",
    "gru_backward",
    "gru_forward",
    "gru_state_gradients",
    "load_into",
    "load_params",
    "lstm_backward",
    "lstm_forward",
    "lstm_state_gradients",
    "save_params",
    "PAD",
    "SGD",
    "UNK",
    "Adam",
    "BagOfWordsClassifier",
    "CharNGram",
    "ManyToOne",
    "Vocabulary",
    "__version__",
    "bag_of_words",
    "binary_cross_entropy",
    "clip_grad_norm",
    "compressed_bits_per_char",
    "embedding_backward",
    "embedding_forward",
    "fit",
    "global_norm",
    "last_step_affine_backward",
    "last_step_affine_forward",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "mean_squared_error",
    "minibatches",
    "numerical_gradient",
    "numerical_gradient_array",
    "one_hot",
    "pad_sequences",
    "rel_error",
    "relu",
    "rnn_backward",
    "rnn_forward",
    "rnn_state_gradients",
    "rnn_step_backward",
    "rnn_step_forward",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "softplus",
    "temporal_affine_backward",
    "temporal_affine_forward",
    "tokenize",
    "train",
]
