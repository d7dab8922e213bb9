"""dw.nn: the functions of neural networks (activations, losses, dropout).

Numerically delicate functions are single primitives with hand-written backward rules (stable
and fast); each documents its convention at kinks on a "Gradient:" line.
"""

from deltaw.nn.activations import (
    elu,
    exponential,
    gelu,
    hard_sigmoid,
    hard_silu,
    hard_swish,
    leaky_relu,
    linear,
    log_softmax,
    mish,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
    tanh,
)
from deltaw.nn.attention import scaled_dot_product_attention
from deltaw.nn.attention_packed import packed_self_attention
from deltaw.nn.composed_activations import (
    celu,
    glu,
    hard_shrink,
    hard_tanh,
    log_sigmoid,
    soft_shrink,
    sparse_plus,
    sparse_sigmoid,
    sparsemax,
    squareplus,
    tanh_shrink,
    threshold,
)
from deltaw.nn.composed_losses import (
    binary_focal_cross_entropy,
    categorical_focal_cross_entropy,
    categorical_generalized_cross_entropy,
    categorical_hinge,
    circle,
    cosine_similarity,
    dice,
    hinge,
    kl_divergence,
    log_cosh,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    poisson,
    squared_hinge,
    tversky,
)
from deltaw.nn.conv import conv1d, conv2d, conv2d_transpose, depthwise_conv2d, separable_conv2d
from deltaw.nn.conv_fused import conv2d_bias_activation
from deltaw.nn.conv_nd import (
    conv1d_transpose,
    conv3d,
    conv3d_transpose,
    depthwise_conv1d,
    separable_conv1d,
)
from deltaw.nn.ctc import ctc_loss
from deltaw.nn.dense import dense
from deltaw.nn.dropout import dropout
from deltaw.nn.embedding import embedding
from deltaw.nn.losses import (
    binary_cross_entropy,
    categorical_cross_entropy,
    huber,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mse,
    sparse_categorical_cross_entropy,
)
from deltaw.nn.normalization import (
    batch_norm,
    batch_norm_train,
    batch_norm_train_update,
    batch_norm_train_with_stats,
    group_norm,
    layer_norm,
)
from deltaw.nn.pooling import (
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    global_average_pool1d,
    global_average_pool2d,
    global_average_pool3d,
    global_max_pool1d,
    global_max_pool2d,
    global_max_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
    upsampling2d,
)
from deltaw.nn.recurrent import gru, lstm, simple_rnn
from deltaw.nn.special import erf, erfc, erfinv, logdet
from deltaw.nn.sync_batch_norm import sync_batch_norm_train_update

__all__ = [
    # activations
    "elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu",
    "linear", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid", "silu", "softmax",
    "softplus", "softsign", "swish", "tanh",
    # activations composed of dw ops
    "celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
    # special functions (special.py)
    "erf", "erfc", "erfinv", "logdet",
    # losses
    "binary_cross_entropy", "categorical_cross_entropy", "huber", "mae", "mean_absolute_error",
    "mean_squared_error", "mse", "sparse_categorical_cross_entropy",
    # losses composed of dw ops
    "binary_focal_cross_entropy", "categorical_focal_cross_entropy",
    "categorical_generalized_cross_entropy", "categorical_hinge", "circle", "cosine_similarity",
    "dice", "hinge", "kl_divergence", "log_cosh", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "poisson", "squared_hinge", "tversky", "ctc_loss",
    # layers
    "dense",
    # regularization
    "dropout",
    # vision and sequence networks
    "conv1d", "conv2d", "conv2d_bias_activation", "conv2d_transpose", "depthwise_conv2d",
    "separable_conv2d",
    "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "global_average_pool1d",
    "global_average_pool2d", "global_max_pool1d", "global_max_pool2d", "upsampling2d",
    "batch_norm", "batch_norm_train", "batch_norm_train_update", "batch_norm_train_with_stats",
    "layer_norm", "group_norm", "sync_batch_norm_train_update",
    "scaled_dot_product_attention", "packed_self_attention", "embedding", "lstm", "gru",
    "simple_rnn",
    # 1-D and 3-D convolutions and pooling (issue 11)
    "conv1d_transpose", "conv3d", "conv3d_transpose", "depthwise_conv1d", "separable_conv1d",
    "max_pool3d", "avg_pool3d", "global_average_pool3d", "global_max_pool3d",
]
