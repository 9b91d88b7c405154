"""What every command-line entry does around its work: logging set-up and one-line errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from mnist_numpy_vs_torch.errors import PipelineError


def report(error: PipelineError) -> None:
    """The one line a user sees for a fault they can act on."""
    print(f"error: {error}", file=sys.stderr)


def run(main: Callable[[], int | None]) -> None:
    """Run a command's `main`: its return value, if any, is the exit status; a PipelineError becomes one line on
    stderr and exit status 1."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        status = main()
    except PipelineError as error:
        report(error)
        sys.exit(1)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(status or 0)
