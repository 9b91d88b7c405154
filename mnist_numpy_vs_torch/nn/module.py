"""Module: what every NumPy layer has, as torch.nn.Module gives every torch layer: a training flag, parameters with
their gradients, state that is not a parameter (named_buffers, as torch names it), and scratch space reused from
step to step."""

from __future__ import annotations

import numpy as np


class Module:
    """What every layer has: a training flag, its parameters, and the scratch arrays it reuses from step to step."""

    def __init__(self) -> None:
        self.training = True
        self.needs_input_grad = True  # Sequential clears it on its first layer with parameters
        self._scratch: dict[str, np.ndarray] = {}  # scratch(): work space, not state (named_buffers is state)

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    DECAYED = ("weight",)  # the parameters that take weight decay (Linear's and Conv2d's weight; never a bias)

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """(name, value, gradient) of each parameter, weight before bias; none for a layer that set_parameters never
        gave a weight and a bias."""
        if getattr(self, "weight", None) is None:
            return []
        return [("weight", self.weight, self.weight_grad), ("bias", self.bias, self.bias_grad)]

    def named_buffers(self) -> list[tuple[str, np.ndarray]]:
        """(name, value) of each array of the state_dict that is not a parameter (BatchNorm's running statistics)."""
        return []

    def set_buffers(self, values: dict[str, np.ndarray]) -> None:
        """Take these values for the layer's buffers, by name."""

    def train(self, mode: bool = True) -> Module:
        self.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def scratch(self, name: str, shape: tuple[int, ...], dtype: np.dtype, batch_axis: int | None = 0) -> np.ndarray:
        """Work space of `shape`, not state: in training, an array kept under `name` and reused (allocated again only
        when a larger batch comes along the batch axis), so that a step allocates nothing; in evaluation, a fresh
        one. (torch's "buffers" are state, the running statistics: named_buffers.)"""
        if not self.training:
            return np.empty(shape, dtype)
        kept = self._scratch.get(name)
        if kept is not None and kept.shape == shape and kept.dtype == dtype:  # every step but an epoch's last
            return kept
        fits = (
            kept is not None
            and kept.dtype == dtype
            and kept.ndim == len(shape)
            and all(k >= s if i == batch_axis else k == s for i, (k, s) in enumerate(zip(kept.shape, shape)))
        )
        if not fits:
            kept = self._scratch[name] = np.empty(shape, dtype)
        if batch_axis is None:
            return kept
        return kept[(slice(None),) * batch_axis + (slice(0, shape[batch_axis]),)]

    WEIGHT_ORDER = "C"  # how a layer with a weight lays it out in memory

    def set_parameters(self, weight: np.ndarray, bias: np.ndarray) -> None:
        """Copy these values into the layer's weight and bias, as torch's load_state_dict copies, so that an
        optimiser made before keeps updating them; new arrays (and gradients) only for a new dtype
        (float64, for the checks)."""
        if getattr(self, "weight", None) is not None and self.weight.dtype == weight.dtype:
            np.copyto(self.weight, weight)
            np.copyto(self.bias, bias)
            return
        self.weight, self.bias = np.array(weight, order=self.WEIGHT_ORDER), np.array(bias)
        self.weight_grad, self.bias_grad = np.empty_like(self.weight), np.empty_like(self.bias)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
