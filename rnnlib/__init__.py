"""rnnlib: the small, tested, pure-numpy library behind the course
"Recurrent Neural Networks from Basic to Advanced".

Conventions, once for the whole package:

- arrays are batch-first: inputs x (N, T, D), token ids (N, T), masks (N, T),
  hidden states h (N, H) and hs (N, T, H), scores (N, T, V);
- every layer is a ``*_forward(...) -> (out, cache)`` and ``*_backward(dout, cache)``
  pair, the backward returning gradients in the order of the forward inputs;
- anything random takes ``rng: np.random.Generator``; there is no global seed;
- public functions check their inputs and say what they expected and received.

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
from rnnlib.models import BagOfWordsClassifier, ManyToOneClassifier, fit
from rnnlib.ngram import CharNGram, compressed_bits_per_char
from rnnlib.optim import SGD, Adam, clip_grad_norm, cosine_schedule, exponential_schedule, global_norm
from rnnlib.recurrent import CELLS, Recurrent
from rnnlib.rnn import rnn_backward, rnn_forward, rnn_state_gradients, rnn_step_backward, rnn_step_forward

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
    "ManyToOneClassifier",
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
]
