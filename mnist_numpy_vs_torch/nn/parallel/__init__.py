"""Data parallelism, apart from the layers as torch.nn.parallel is: only the training steps import it."""

from mnist_numpy_vs_torch.nn.parallel.data_parallel import DataParallel, data_parallel, replicate, shard_bounds

__all__ = ["DataParallel", "data_parallel", "replicate", "shard_bounds"]
