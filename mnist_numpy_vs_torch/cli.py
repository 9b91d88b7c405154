"""What every command-line entry does around its work: logging set-up and one-line errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from mnist_numpy_vs_torch.errors import PipelineError


def run(main: Callable[[], None]) -> None:
    """Run a stage's `main`; a PipelineError becomes one line on stderr and exit status 1."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        main()
    except PipelineError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
