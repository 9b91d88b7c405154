"""train@mlp-torch: the MLP in PyTorch, once per seed (the work is stages/train_torch.py's)."""

from mnist_numpy_vs_torch import cli
from mnist_numpy_vs_torch.models import mlp
from stages import train_torch

if __name__ == "__main__":
    cli.run(lambda: train_torch.main(mlp.ARCHITECTURE))
