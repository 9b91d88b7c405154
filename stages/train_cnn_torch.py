"""train@cnn-torch: the CNN in PyTorch, once per seed (the work is stages/train_torch.py's)."""

from mnist_numpy_vs_torch import cli
from mnist_numpy_vs_torch.models import cnn
from stages import train_torch

if __name__ == "__main__":
    cli.run(lambda: train_torch.main(cnn.ARCHITECTURE))
