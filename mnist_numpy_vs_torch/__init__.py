"""MNIST, trained twice: the same networks written from scratch in NumPy and in PyTorch, compared honestly.

The pipeline's stages (`stages/`, mapped by `dvc.yaml`) are thin scripts over the subpackages of this package:
nn (the NumPy layers), params, data, models, training, comparison, reporting and recognition.
"""
