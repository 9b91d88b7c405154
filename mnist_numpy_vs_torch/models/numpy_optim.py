"""The optimisers of every NumPy network, written out: SGD with momentum and weight decay, exactly as
torch.optim.SGD computes it (dampening 0, no Nesterov).

For each parameter W with gradient dW, momentum mu, weight decay wd (0 for biases) and learning rate lr:

    g = dW + wd W          decay enters the gradient (L2), as torch.optim.SGD's weight_decay does
    v = mu v + g           v starts at 0, so the first step's v is g, as torch's first step sets its buffer to g
    W = W - lr v

Every network's parameters go through this one implementation. The velocities and one scratch array per
parameter are allocated once; a step is in-place element-wise passes only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mnist_numpy_vs_torch.params import Recipe


class SGD:
    """Updates `params` in place; `decays[i]` says whether params[i] takes weight decay (weights yes, biases no)."""

    def __init__(
        self, params: Sequence[np.ndarray], decays: Sequence[bool], momentum: float, weight_decay: float
    ) -> None:
        self.params = list(params)
        self.decay = [weight_decay if decayed else 0.0 for decayed in decays]
        self.momentum = momentum
        self.velocities = [np.zeros_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray], lr: float) -> None:
        """g = dW + wd W;  v = mu v + g;  W -= lr v."""
        mu = self.momentum
        for param, grad, velocity, scratch, wd in zip(self.params, grads, self.velocities, self.scratch, self.decay):
            velocity *= mu
            if wd:
                np.multiply(param, wd, out=scratch)
                scratch += grad
                velocity += scratch
            else:
                velocity += grad
            np.multiply(velocity, lr, out=scratch)
            param -= scratch


def optimizer(params: Sequence[np.ndarray], decays: Sequence[bool], recipe: Recipe) -> SGD:
    """The optimiser `recipe` names (its section of params.yaml), for a network's parameters."""
    return SGD(params, decays, recipe.momentum, recipe.weight_decay)
