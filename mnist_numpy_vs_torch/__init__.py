"""MNIST, trained twice: a NumPy MLP written from scratch and the same network in PyTorch, compared honestly.

The pipeline's stages (`stages/`, mapped by `dvc.yaml`) are thin scripts over the modules of this package.
"""
