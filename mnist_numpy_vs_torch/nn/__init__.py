"""The layers every NumPy network here is built from, each the twin of its torch.nn namesake: the same name, the same
arguments in the same order, the same weight layout, and a forward and a backward pass written as the equations
above them; laid out as torch.nn's modules are, one family a file. `Sequential` calls them in turn, as nn.Sequential
does; models/numpy_nn.py builds one from the same list of layers (models/spec.py) as the torch twin
(models/torch_nn.py), so that printing either shows the same network.

Conventions, for a batch of B samples:
- Images travel channels-last, (B, H, W, C), so that a convolution's windows are one strided view and copying them
  moves runs of C contiguous numbers. `Unflatten` makes them from (B, C H W) rows; `Flatten` writes them back in
  torch's (C, H, W) order, so the dense layers after it see exactly what torch's see.
- Every backward pass takes dL/d(output) and returns dL/d(input); a layer with parameters fills their gradients
  (`weight_grad`, `bias_grad`), which the optimiser reads (models/numpy_optim.py). The first layer with parameters
  computes no input gradient, as autograd computes none for an input that needs none.
- In training mode a layer keeps what its backward pass needs, in scratch arrays allocated at the first batch (the
  largest) and reused by every step; a smaller last batch uses the front of them. In evaluation mode nothing is
  kept and every pass allocates what it needs, as under torch.no_grad.
"""

from mnist_numpy_vs_torch.nn.activation import ReLU
from mnist_numpy_vs_torch.nn.batchnorm import BatchNorm1d, BatchNorm2d
from mnist_numpy_vs_torch.nn.container import Sequential
from mnist_numpy_vs_torch.nn.conv import Conv2d
from mnist_numpy_vs_torch.nn.dropout import Dropout
from mnist_numpy_vs_torch.nn.flatten import Flatten, Unflatten
from mnist_numpy_vs_torch.nn.linear import Linear
from mnist_numpy_vs_torch.nn.loss import CrossEntropyLoss
from mnist_numpy_vs_torch.nn.module import Module
from mnist_numpy_vs_torch.nn.pooling import MaxPool2d

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "Linear",
    "MaxPool2d",
    "Module",
    "ReLU",
    "Sequential",
    "Unflatten",
]
