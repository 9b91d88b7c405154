"""train@cnn-numpy: the CNN in NumPy, once per seed (the work is stages/train_numpy.py's)."""

from mnist_numpy_vs_torch import cli
from mnist_numpy_vs_torch.models import cnn
from stages import train_numpy

if __name__ == "__main__":
    cli.run(lambda: train_numpy.main(cnn.ARCHITECTURE))
