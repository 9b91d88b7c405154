"""DataParallel, the twin of torch.nn.DataParallel: a batch split into shards, each through a replica of the
network, here on threads rather than devices; batch normalisation synchronised across them."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mnist_numpy_vs_torch.nn.batchnorm import _BatchNorm
from mnist_numpy_vs_torch.nn.container import Sequential
from mnist_numpy_vs_torch.nn.dropout import Dropout
from mnist_numpy_vs_torch.nn.flatten import Flatten
from mnist_numpy_vs_torch.nn.module import Module


def replicate(module: Module) -> Module:
    """A copy of `module` that holds the same weight arrays and running statistics and keeps scratch space and
    gradients of its own, as torch.nn.parallel.replicate makes one per device."""
    if isinstance(module, Sequential):
        twin = Sequential(*(replicate(layer) for layer in module))
        twin.training = module.training
        return twin
    twin = copy.copy(module)
    twin._scratch = {}
    if module.named_parameters():
        twin.weight_grad, twin.bias_grad = np.empty_like(module.weight_grad), np.empty_like(module.bias_grad)
    return twin


def shard_bounds(n: int, shards: int) -> list[tuple[int, int]]:
    """(start, stop) of `shards` consecutive row ranges of n rows, as equal as they can be (the first ones longer),
    none empty."""
    cuts = [n * i // shards for i in range(shards + 1)]
    return [(start, stop) for start, stop in itertools.pairwise(cuts) if stop > start]


class DataParallel(Module):
    """DataParallel(module, shards, threads): the batch split into `shards` consecutive parts, each run through a
    replica of `module` (a Sequential), as nn.DataParallel splits a batch over devices; here the devices are threads
    (up to `threads` at once), since NumPy and its BLAS let go of Python's lock inside every array operation. For
    rows x = [x_1; ...; x_S] (shard s of B_s rows):

        forward    y = [f(x_1); ...; f(x_S)]                      the replicas' outputs, stacked
        backward   dx = [dx_1; ...; dx_S]                         each replica's backward on its rows of dy
                   dW = dW_1 + ... + dW_S                         summed in shard order

    dW is exact: the loss is a mean over the whole batch, so each shard's dL/dy rows already carry 1/B, and a
    gradient is a sum over the batch's samples. A batch normalisation layer needs the whole batch's mean and
    variance, and in its backward pass the whole batch's sums of dy and dy x^: the replicas stop there, their
    partial sums are added (synchronised batch normalisation, as nn.SyncBatchNorm), and they go on. The shards and
    the order of every sum are fixed, so the numbers do not depend on `threads` (with one thread the shards run in
    turn); they differ from an unsplit pass only in the order of those sums. Replica 0 is `module` itself; the
    others share its weights, and only replica 0 keeps the running statistics.

    Each thread should run BLAS on one thread (threadpoolctl), or the BLAS's threads and these compete for cores.
    """

    def __init__(self, module: Sequential, shards: int, threads: int) -> None:
        super().__init__()
        if shards < 1 or threads < 1:
            raise ValueError(f"DataParallel: shards and threads must be at least 1 (got {shards}, {threads})")
        self.module, self.shards, self.threads = module, shards, threads
        self.replicas = [module, *(replicate(module) for _ in range(shards - 1))]
        self.executor = ThreadPoolExecutor(min(threads, shards)) if threads > 1 and shards > 1 else None
        # the layers between batch normalisations: (start, stop), a _BatchNorm at stop unless stop is the end
        cuts = [i for i, layer in enumerate(module) if isinstance(layer, _BatchNorm)]
        self.segments = list(zip([0, *(i + 1 for i in cuts)], [*cuts, len(module)]))

    def _map(self, function: Callable, *arguments: list) -> list:
        if self.executor is None:
            return list(map(function, *arguments))
        return list(self.executor.map(function, *arguments))

    def _run(self, method: str, start: int, stop: int, parts: list[np.ndarray]) -> list[np.ndarray | None]:
        """Each replica's layers start..stop-1 on its part, forward first to last, backward last to first."""

        def run(replica: Sequential, part: np.ndarray | None) -> np.ndarray | None:
            layers = replica.layers[start:stop]
            for layer in layers if method == "forward" else reversed(layers):
                if part is None:
                    return None
                part = getattr(layer, method)(part)
            return part

        return self._map(run, self.replicas[: len(parts)], parts)

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.bounds = shard_bounds(len(x), self.shards)
        parts = [x[start:stop] for start, stop in self.bounds]
        if not self.training:  # batch normalisation reads its running statistics: nothing to synchronise
            return self._stacked("y", self._run("forward", 0, len(self.module), parts))
        for start, stop in self.segments:
            parts = self._run("forward", start, stop, parts)
            if stop < len(self.module):
                parts = self._normalise(stop, parts)
        return self._stacked("y", parts)

    def _normalise(self, index: int, parts: list[np.ndarray]) -> list[np.ndarray]:
        """Layer `index`, a batch normalisation, on every shard with the whole batch's statistics."""
        norms = [replica[index] for replica in self.replicas[: len(parts)]]
        rows = [part.reshape(-1, norms[0].num_features) for part in parts]
        m = sum(len(r) for r in rows)
        mean = sum(self._map(lambda norm, r: norm.partial_sum(r), norms, rows)) / m
        var = norms[0].biased_variance(sum(self._map(lambda norm, r: norm.partial_square_sum(r, mean), norms, rows)), m)
        norms[0].track(mean, var, m)
        return self._map(lambda norm, part: norm.finish(part, var), norms, parts)

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        parts = [dy[start:stop] for start, stop in self.bounds]
        for start, stop in reversed(self.segments):
            if stop < len(self.module):
                parts = self._normalise_backward(stop, parts)
            parts = self._run("backward", start, stop, parts)
        self._reduce_gradients()
        return None if parts[0] is None else self._stacked("dx", parts)

    def _normalise_backward(self, index: int, parts: list[np.ndarray]) -> list[np.ndarray]:
        """Layer `index`'s input gradient on every shard from the whole batch's sums of dy and dy x^ (each replica's
        own sums stay in its gradients, which _reduce_gradients adds up)."""
        norms = [replica[index] for replica in self.replicas[: len(parts)]]
        rows = [part.reshape(-1, norms[0].num_features) for part in parts]
        self._map(lambda norm, r: norm.partial_grads(r), norms, rows)
        dbeta, dgamma = sum(norm.bias_grad for norm in norms), sum(norm.weight_grad for norm in norms)
        m = sum(len(r) for r in rows)
        return self._map(lambda norm, part: norm.input_grad(part, dbeta, dgamma, m), norms, parts)

    def _reduce_gradients(self) -> None:
        """Every replica's parameter gradients added into the module's, in shard order."""
        totals = self.module.gradients()
        for replica in self.replicas[1 : len(self.bounds)]:
            for total, part in zip(totals, replica.gradients()):
                total += part

    def _stacked(self, name: str, parts: list[np.ndarray]) -> np.ndarray:
        whole = self.scratch(name, (sum(len(p) for p in parts), *parts[0].shape[1:]), parts[0].dtype)
        for part, (start, stop) in zip(parts, self.bounds):
            whole[start:stop] = part
        return whole

    def train(self, mode: bool = True) -> DataParallel:
        self.training = mode
        for replica in self.replicas:
            replica.train(mode)
        return self

    def named_parameters(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        return self.module.named_parameters()

    def __repr__(self) -> str:
        inner = repr(self.module).replace("\n", "\n  ")
        return f"DataParallel(\n  (module): {inner}\n)"


def data_parallel(network: Sequential, shards: int, threads: int) -> Sequential:
    """`network` with its convolutional part, the layers before its Flatten, as DataParallel(shards, threads), and
    the rest (dense layers, whose products the BLAS already spreads over cores) as it is: the same layer objects
    and weights, so training the result trains `network`. `network` itself when it has no Flatten, when shards is
    1, and when a Dropout is among the layers to split (its masks are drawn for the whole batch)."""
    flatten = next((i for i, layer in enumerate(network) if isinstance(layer, Flatten)), 0)
    if shards == 1 or flatten == 0:
        return network
    if any(isinstance(layer, Dropout) for layer in network.layers[:flatten]):
        return network  # torch draws one mask for the whole batch; the shards would draw theirs one by one
    features = Sequential(*network.layers[:flatten])
    return Sequential(DataParallel(features, shards, threads), *network.layers[flatten:])
