"""NumPy's networks against PyTorch's, epoch for epoch, and against the machine's peak; and where a NumPy step's
time goes, line by line of the trainer's own code. The MLP at its default size and at a matmul-bound one, and the
CNN at its default: each with the stage's threads, and the default MLP and the CNN again with one thread for each
framework (NumPy's BLAS and torch alike), since PyTorch spreads its element-wise work over the cores by itself and
NumPy only through the shards the trainer runs side by side.

    races.py         the timing races: paired epochs, alternating which framework goes first
    step_profile.py  the line profiles of NumPy steps, and the BLAS-only bound they set on a race
    flops.py         the arithmetic of a training step, for the share of the peak
    epoch_rows.py    the targets, and the table rows of both
"""

from __future__ import annotations

from benchmarks import epoch_rows, races
from benchmarks.common import Context, Row
from benchmarks.step_profile import blas_bound, numpy_step_profile
from mnist_numpy_vs_torch.models import cnn, mlp
from mnist_numpy_vs_torch.models.spec import Architecture
from mnist_numpy_vs_torch.params import Recipe

Model = tuple[Architecture, Recipe]


def run(context: Context) -> dict:
    """The races, then a NumPy step profile of each model, each race's BLAS-only bound from its model's profile."""
    recipe, threads = context.params.mlp, context.threads
    models: list[Model] = [  # the default MLP, a matmul-bound one, and the default CNN
        (mlp.ARCHITECTURE, races.mlp_recipe(recipe, list(recipe.hidden), recipe.batch_size)),
        (mlp.ARCHITECTURE, races.mlp_recipe(recipe, [800], 512)),
        (cnn.ARCHITECTURE, context.params.cnn),
    ]
    raced = [(index, threads) for index in range(len(models))]
    if threads > 1:  # the default MLP and the CNN again at one thread each: the gap without either's threading
        raced += [(0, 1), (2, 1)]
    timed = [races.race(context, *models[index], race_threads) for index, race_threads in raced]
    profiles = [profile(context, *model) for model in models]
    for (index, _), each in zip(raced, timed):
        each["blas_only_numpy_over_torch"] = blas_bound(profiles[index], each, len(context.train))
    return {"epochs": timed, "numpy_step_profile": profiles}


def profile(context: Context, architecture: Architecture, recipe: Recipe) -> dict:
    """A NumPy step profile of the model, about a fixed number of samples' worth of steps. An MLP's BLAS runs on
    the stage's threads, as it trains. The CNN's shards run in turn on this thread with the BLAS on one, since only
    this thread is traced: so every line of every shard is."""
    if architecture is cnn.ARCHITECTURE:
        trainer, _ = races.trainers(architecture, recipe, context.params.train_numpy.shards, threads=1)
        samples, blas_cores = 8_000, 1
    else:
        trainer, _ = races.trainers(architecture, recipe)
        samples, blas_cores = 24_000, context.threads
    name = races.model_name(architecture, recipe)
    batch = recipe.batch_size
    return numpy_step_profile(context.train, name, trainer, batch, samples // batch, blas_cores)


def rows(results: dict) -> list[Row]:
    return epoch_rows.rows(results)
