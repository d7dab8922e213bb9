"""AdamW: Adam with decoupled weight decay (Keras 3 defaults)."""

from __future__ import annotations

from deltaw.keras.optimizers.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first decays every variable not excluded with `exclude_from_weight_decay`:

        w <- w - w * weight_decay * lr

    then applies the Adam update (see `Adam`, including its epsilon placement). torch.optim.AdamW
    decays the same way (w <- w * (1 - lr * weight_decay)) before its Adam step, but its default
    weight_decay is 0.01 where Keras' is 0.004.

    Args:
        learning_rate: Float or schedule. Defaults to 0.001.
        weight_decay: Float. Defaults to 0.004 (None is an error).
        beta_1, beta_2, epsilon, amsgrad: As `Adam` (0.9, 0.999, 1e-7, False).
        **kwargs: Base optimizer arguments (clipnorm, ..., name).
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a float; got None.")
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
