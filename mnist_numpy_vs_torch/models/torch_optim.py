"""The optimisers of every PyTorch network: torch.optim's own, unchanged, configured from an architecture's recipe
as the NumPy side configures its twins (models/numpy_optim.py): weight decay on the weights of Linear and Conv2d,
never on biases or on batch normalisation's scale and shift."""

from __future__ import annotations

import torch
from torch import nn

from mnist_numpy_vs_torch.params import Recipe


def optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """torch.optim.SGD with momentum, torch.optim.Adam or torch.optim.AdamW, as `recipe.optimizer` names, with
    `recipe.weight_decay` on the weights alone; the learning rate is set before every step
    (training/torch_steps.py)."""
    weights = [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    decayed = {id(w) for w in weights}
    rest = [p for p in model.parameters() if id(p) not in decayed]  # biases, and batch normalisation's gamma and beta
    groups = [{"params": weights, "weight_decay": recipe.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=0.0, momentum=recipe.momentum)
    adam = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[recipe.optimizer]
    return adam(groups, lr=0.0, betas=tuple(recipe.betas), eps=recipe.eps)
