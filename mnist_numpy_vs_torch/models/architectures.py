"""The table of architectures: everything that differs between them is in their entries (models/spec.py's
Architecture), and everything that reads them (evaluation, the report, the classifier) looks here. The order is the
report's, as params.yaml lists them; DEFAULT is the one `mnist-predict` and its page answer with first. A new
architecture is one module like models/cnn.py, one line here, its params.yaml section and its dvc.yaml stages."""

from __future__ import annotations

from mnist_numpy_vs_torch.models import cnn, mlp
from mnist_numpy_vs_torch.models.spec import Architecture

ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (mlp.ARCHITECTURE, cnn.ARCHITECTURE)}
DEFAULT = cnn.ARCHITECTURE.name


def answering_order(architectures: tuple[str, ...]) -> tuple[str, ...]:
    """The architectures asked for, the default first, then the table's order."""
    order = [DEFAULT, *(name for name in ARCHITECTURES if name != DEFAULT)]
    return tuple(name for name in order if name in architectures)
