"""download stage: fetch the four MNIST files into OUT_DIR, each verified against its published SHA-256."""

from __future__ import annotations

import argparse
from pathlib import Path

from mnist_numpy_vs_torch import cli, params
from mnist_numpy_vs_torch.data.download import RetryPolicy, fetch_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    download = params.for_stage("download").download
    policy = RetryPolicy(download.timeout_seconds, download.retries, download.backoff_seconds)
    fetch_all(args.out_dir, download.mirrors, policy)


if __name__ == "__main__":
    cli.run(main)
