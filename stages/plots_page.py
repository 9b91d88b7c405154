"""plots_page stage: write the page template `dvc plots show` uses (see .dvc/config), with its scripts inlined."""

from __future__ import annotations

import argparse
from pathlib import Path

from mnist_numpy_vs_torch import cli, params
from mnist_numpy_vs_torch.atomic import write_text
from mnist_numpy_vs_torch.reporting.plots_page import offline_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", type=Path)
    args = parser.parse_args()
    params.for_stage("plots_page")  # reads no key, but like every stage refuses a broken params.yaml
    write_text(args.page, offline_page())


if __name__ == "__main__":
    cli.run(main)
