"""Sequential, the twin of torch.nn.Sequential: the layers in turn, named and laid out in its state_dict as torch's."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from mnist_numpy_vs_torch.nn.module import Module
from mnist_numpy_vs_torch.twins import check_state


class Sequential(Module):
    """The layers in turn: forward first to last, backward last to first."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        self.layers = list(layers)
        weighted = [layer for layer in self.layers if layer.named_parameters()]
        if weighted:
            weighted[0].needs_input_grad = False

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad: np.ndarray) -> None:
        """Every parameter's gradient from dL/d(output); stops at the first layer with parameters."""
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
            if grad is None:
                return

    def train(self, mode: bool = True) -> Sequential:
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """As torch names them: "<index>.weight", "<index>.bias", in the layers' order."""
        return [
            (f"{index}.{name}", value, grad)
            for index, layer in enumerate(self.layers)
            for name, value, grad in layer.named_parameters()
        ]

    def parameters(self) -> tuple[list[np.ndarray], list[bool]]:
        """Every array the optimiser updates, and whether it takes weight decay (the weights of Linear and Conv2d;
        no bias, and not BatchNorm's gamma)."""
        named = [(name in layer.DECAYED, value) for layer in self for name, value, _ in layer.named_parameters()]
        return [value for _, value in named], [decayed for decayed, _ in named]

    def gradients(self) -> list[np.ndarray]:
        """The gradient arrays backward fills, in the order of parameters()."""
        return [grad for _, _, grad in self.named_parameters()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Parameters, then buffers, layer by layer, under torch's names ("1.weight", "2.running_mean")."""
        return {
            f"{index}.{name}": value
            for index, layer in enumerate(self.layers)
            for name, value in [(name, value) for name, value, _ in layer.named_parameters()] + layer.named_buffers()
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> Sequential:
        """Take these values (and their dtype); the names and shapes must be this network's exactly."""
        check_state(self.state_dict(), state)
        for index, layer in enumerate(self.layers):
            if layer.named_parameters():
                layer.set_parameters(state[f"{index}.weight"], state[f"{index}.bias"])
            if layer.named_buffers():
                layer.set_buffers({name: state[f"{index}.{name}"] for name, _ in layer.named_buffers()})
        return self

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, index: int) -> Module:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        lines = [f"  ({index}): {layer!r}" for index, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
