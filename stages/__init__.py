"""MNIST, trained twice: a NumPy MLP written from scratch and the same network in PyTorch, compared honestly."""
