"""params.yaml: its schema, its checks, and each stage's view of it. The one place that reads it.

    schema.py  one frozen dataclass per section, each field annotated with what it holds and the check its value
               must pass, so the schema and the typed object are one thing; and the CNN's geometry they imply
    checks.py  those checks, and the builder that applies them; it knows no section, so the schema can import it
    load.py    params.yaml read and checked whole: each section, then the checks that span keys
    view.py    each stage's view: only the keys its dvc.yaml entry declares

Every stage calls `for_stage(name)` before doing any work: a typo or a wrong type fails at once, with the key's
full dotted name, instead of minutes into a training run. The view it returns answers only the keys that the
stage's `params` list in dvc.yaml declares, so a stage cannot depend on a parameter that DVC does not know it
depends on.

Each architecture has a section of its own (`mlp`, `cnn`): its shape and how it is trained (the Recipe fields).
`train` holds what every model of a seed shares: the image shifts. Each architecture trains its own number of seeds,
0..n-1, the n of the registered sample-size rule (comparison/sample_size.py); seed i is the same draw for both.
"""

# ParamsError comes by way of checks.py, which raises it: a package's __init__ imports from its own modules only.
from mnist_numpy_vs_torch.params.checks import (
    Check,
    ParamsError,
    boolean,
    choice,
    integer,
    integer_or,
    list_of,
    number,
    text,
    threads,
)
from mnist_numpy_vs_torch.params.load import load_params, validate
from mnist_numpy_vs_torch.params.schema import (
    INITS,
    OPTIMIZERS,
    POOL,
    CNNParams,
    ConvolutionSides,
    DownloadParams,
    EvaluateParams,
    Margins,
    MLPParams,
    Params,
    ParseParams,
    Recipe,
    ReportParams,
    TrainNumpyParams,
    TrainParams,
    TrainTorchParams,
    convolution_sides,
    recipes,
)
from mnist_numpy_vs_torch.params.view import StageParams, declared_keys, for_stage

__all__ = [
    "INITS",
    "OPTIMIZERS",
    "POOL",
    "CNNParams",
    "Check",
    "ConvolutionSides",
    "DownloadParams",
    "EvaluateParams",
    "MLPParams",
    "Margins",
    "Params",
    "ParamsError",
    "ParseParams",
    "Recipe",
    "ReportParams",
    "StageParams",
    "TrainNumpyParams",
    "TrainParams",
    "TrainTorchParams",
    "boolean",
    "choice",
    "convolution_sides",
    "declared_keys",
    "for_stage",
    "integer",
    "integer_or",
    "list_of",
    "load_params",
    "number",
    "recipes",
    "text",
    "threads",
    "validate",
]
