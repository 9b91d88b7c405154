"""download stage: fetch the four MNIST files into OUT_DIR, each verified against its pinned SHA-256."""

from __future__ import annotations

import argparse
from pathlib import Path

from stages import cli
from stages.mnist_download import RetryPolicy, fetch_all
from stages.params import load_params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    params = load_params()["download"]
    policy = RetryPolicy(params["timeout_seconds"], params["retries"], params["backoff_seconds"])
    fetch_all(args.out_dir, params["mirrors"], policy)


if __name__ == "__main__":
    cli.run(main)
