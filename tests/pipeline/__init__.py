"""The pipeline as DVC runs it: dependencies, reproducibility, experiments, remotes, the report, plots, CI, the
README."""
