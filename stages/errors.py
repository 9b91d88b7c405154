"""The error every stage turns into one clear line and a non-zero exit."""


class PipelineError(Exception):
    """A fault the user can act on: bad input, a failed download, a diverged run."""
