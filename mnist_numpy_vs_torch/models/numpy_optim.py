"""The optimisers of every NumPy network, written out, each exactly as its torch.optim twin computes it.

For each parameter W with gradient dW, learning rate lr (set per step by the schedule) and weight decay wd (0 for
biases):

SGD with momentum mu (torch.optim.SGD: dampening 0, no Nesterov):

    g = dW + wd W          decay enters the gradient (L2)
    v = mu v + g           v starts at 0, so the first step's v is g, as torch's first step sets its buffer to g
    W = W - lr v

Adam (torch.optim.Adam) and AdamW (torch.optim.AdamW), with betas (b1, b2), eps, and t the step count from 1:

    g = dW + wd W                          Adam: decay enters the gradient (L2), and so the moments
    W = W (1 - lr wd)                      AdamW instead: decay applied to W directly, decoupled from the moments
    m = b1 m + (1 - b1) g                  m, v start at 0; computed as m + (1 - b1)(g - m), as torch's lerp does
    v = b2 v + (1 - b2) g^2
    W = W - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)

The last line is the bias-corrected m^ / (sqrt(v^) + eps): eps outside the square root, added after the bias
correction of v, as torch adds it.

Every network's parameters go through these, whatever the architecture. State (velocities or moments) and scratch
arrays are allocated once; a step is in-place element-wise passes only.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import numpy as np

from mnist_numpy_vs_torch.params import Recipe

logger = logging.getLogger(__name__)


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


def bias_corrections(betas: tuple[float, float], t: int) -> tuple[float, float]:
    """(1 - b1^t, 1 - b2^t): what the moments, started at 0, fall short of their running averages by."""
    return 1.0 - betas[0] ** t, 1.0 - betas[1] ** t


def denominator(v: np.ndarray, correction2: float, eps: float, out: np.ndarray) -> np.ndarray:
    """sqrt(v) / sqrt(1 - b2^t) + eps, into `out`: the root of the bias-corrected second moment, then eps."""
    np.sqrt(v, out=out)
    out /= math.sqrt(correction2)
    out += eps
    return out


class Adam:
    """Adam, or AdamW when `decoupled`; updates `params` in place; `decays[i]` as for SGD."""

    def __init__(
        self,
        params: Sequence[np.ndarray],
        decays: Sequence[bool],
        betas: tuple[float, float],
        eps: float,
        weight_decay: float,
        decoupled: bool,
    ) -> None:
        self.params = list(params)
        self.decay = [weight_decay if decayed else 0.0 for decayed in decays]
        self.betas, self.eps, self.decoupled = (float(betas[0]), float(betas[1])), eps, decoupled
        self.t = 0
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.gradient = [np.empty_like(p) for p in self.params]  # g, when L2 decay makes it differ from dW
        self.scratch = [np.empty_like(p) for p in self.params]

    def step(self, grads: Sequence[np.ndarray], lr: float) -> None:
        """One step of the equations above, for every parameter."""
        self.t += 1
        b1, b2 = self.betas
        correction1, correction2 = bias_corrections(self.betas, self.t)
        for param, grad, m, v, g, scratch, wd in zip(
            self.params, grads, self.m, self.v, self.gradient, self.scratch, self.decay
        ):
            if wd and self.decoupled:  # AdamW: W = W (1 - lr wd)
                param *= 1.0 - lr * wd
            elif wd:  # Adam: g = dW + wd W
                np.multiply(param, wd, out=g)
                g += grad
                grad = g
            np.subtract(grad, m, out=scratch)  # m = m + (1 - b1)(g - m)
            scratch *= 1.0 - b1
            m += scratch
            v *= b2  # v = b2 v + (1 - b2) g^2
            np.multiply(grad, grad, out=scratch)
            scratch *= 1.0 - b2
            v += scratch
            denominator(v, correction2, self.eps, out=scratch)  # W -= lr / (1 - b1^t) * m / denominator
            np.divide(m, scratch, out=scratch)
            scratch *= lr / correction1
            param -= scratch


def optimizer(params: Sequence[np.ndarray], decays: Sequence[bool], recipe: Recipe) -> SGD | Adam:
    """The optimiser `recipe` names (its section of params.yaml), for a network's parameters."""
    if recipe.optimizer == "sgd":
        return SGD(params, decays, recipe.momentum, recipe.weight_decay)
    logger.debug("%s, betas %s, eps %g", recipe.optimizer, recipe.betas, recipe.eps)
    return Adam(params, decays, recipe.betas, recipe.eps, recipe.weight_decay, decoupled=recipe.optimizer == "adamw")
