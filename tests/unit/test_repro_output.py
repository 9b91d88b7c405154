"""How the tests read a `dvc repro`'s output: which stages a fresh clone's reproduction ran or found current."""

from tests.clones import reproduced_from_scratch

EVERY_STAGE = {"download", "train_numpy@mlp", "evaluate", "report"}
TRAINERS = {"train_numpy@mlp"}
RAN = "Running stage 'download':\nRunning stage 'train_numpy@mlp':\nRunning stage 'evaluate':\n"


def test_a_stage_whose_committed_outputs_came_out_identical_counts_as_reproduced() -> None:
    # On the machine that made the committed results, evaluate's outputs are byte-identical, so DVC finds the report
    # (all of it in git) current rather than running it.
    output = RAN + "Stage 'report' didn't change, skipping\n"
    assert reproduced_from_scratch(output, EVERY_STAGE, TRAINERS) is None


def test_a_reproduction_that_ran_every_stage_counts() -> None:
    assert reproduced_from_scratch(RAN + "Running stage 'report':\n", EVERY_STAGE, TRAINERS) is None


def test_a_training_stage_found_current_is_no_reproduction_from_scratch() -> None:
    output = RAN.replace("Running stage 'train_numpy@mlp':", "Stage 'train_numpy@mlp' didn't change, skipping")
    assert reproduced_from_scratch(output + "Running stage 'report':\n", EVERY_STAGE, TRAINERS) == (
        "dvc repro did not train ['train_numpy@mlp']"
    )


def test_a_stage_left_out_is_named() -> None:
    assert reproduced_from_scratch(RAN, EVERY_STAGE, TRAINERS) == "dvc repro neither ran nor checked ['report']"
