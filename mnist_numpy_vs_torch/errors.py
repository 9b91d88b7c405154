"""The faults a user can act on. Each becomes one line on stderr and a non-zero exit (see `cli.run`)."""


class PipelineError(Exception):
    """A fault the user can act on: bad input, a failed download, a diverged run."""


class ParamsError(PipelineError):
    """params.yaml is missing, unreadable, or does not match the schema."""


class DownloadError(PipelineError):
    """No source delivered a file with the expected checksum."""


class IdxFormatError(PipelineError):
    """An IDX file is not what its header or its role says it should be."""


class DatasetError(PipelineError):
    """The prepared data is missing or inconsistent."""


class ModelFileError(PipelineError):
    """A saved model is missing, truncated or not the network we expect."""


class TrainingDiverged(PipelineError):
    """The loss became NaN or infinite."""


class ImageInputError(PipelineError):
    """A picture that cannot be read or holds no digit."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none: what a one-line error quotes."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
