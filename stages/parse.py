"""parse stage: decode the gzip IDX files into uint8 arrays for train / val / test, and a JSON of dataset facts."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from mnist_numpy_vs_torch import cli, params
from mnist_numpy_vs_torch.data import dataset

log = logging.getLogger(__name__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    parse = params.for_stage("parse").parse
    train_size = None if parse.train_size == "all" else parse.train_size
    splits = dataset.prepare(args.raw_dir, parse.val_size, parse.seed, train_size)
    facts = dataset.facts(splits)
    dataset.save(args.out_dir, splits, facts)
    log.info("wrote %s: %s", args.out_dir, facts["counts"])


if __name__ == "__main__":
    cli.run(main)
