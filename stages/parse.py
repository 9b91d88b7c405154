"""parse stage: decode the gzip IDX files into uint8 arrays for train / val / test, and a JSON of dataset facts."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from mnist_numpy_vs_torch import cli, dataset, idx, mnist, params
from mnist_numpy_vs_torch.errors import IdxFormatError

log = logging.getLogger(__name__)


def prepare(raw_dir: Path, val_size: int, seed: int) -> dict[str, dataset.Split]:
    """The three splits: val carved from MNIST's training set (stratified, seeded), test as published."""
    train_images = idx.read_images(raw_dir / mnist.TRAIN_IMAGES)
    train_labels = idx.read_labels(raw_dir / mnist.TRAIN_LABELS)
    test_images = idx.read_images(raw_dir / mnist.TEST_IMAGES)
    test_labels = idx.read_labels(raw_dir / mnist.TEST_LABELS)
    for images, labels, name in ((train_images, train_labels, "train"), (test_images, test_labels, "t10k")):
        if len(images) != len(labels):
            raise IdxFormatError(f"{raw_dir}: {name} has {len(images)} images but {len(labels)} labels")
    if val_size >= len(train_labels):
        raise IdxFormatError(f"parse.val_size {val_size} is not below the {len(train_labels)} training images")
    train_index, val_index = dataset.stratified_split(train_labels, val_size, seed)
    return {
        "train": dataset.Split(train_images[train_index], train_labels[train_index]),
        "val": dataset.Split(train_images[val_index], train_labels[val_index]),
        "test": dataset.Split(test_images, test_labels),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("raw_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    parse = params.for_stage("parse").parse
    splits = prepare(args.raw_dir, parse.val_size, parse.seed)
    facts = dataset.facts(splits)
    dataset.save(args.out_dir, splits, facts)
    log.info("wrote %s: %s", args.out_dir, facts["counts"])


if __name__ == "__main__":
    cli.run(main)
