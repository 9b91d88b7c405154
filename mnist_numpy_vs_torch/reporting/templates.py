"""The report's words: one template per section of report/README.md, then the parts and sentences a section is
filled with; reporting/text.py fills them. A section ends with its last line's newline; a part, which stands inside
a section, ends without one. A line ending in a backslash goes on in the next: the report has them as one line."""

from __future__ import annotations

from string import Template

# The sections, in the report's order; EVIDENCE once per architecture.

TITLE = Template("""\
# NumPy vs PyTorch on MNIST

The same networks ($names), each trained from the same initial weights on the same batches in the same order,
once written from scratch in NumPy and once in PyTorch; $seed_counts, paired by seed.
""")

VERDICTS = Template("""\
## Verdicts

Each dot in a figure is one seed's NumPy − PyTorch difference; the bar is the interval, the shaded band the margin.

$architectures
""")

EVIDENCE = Template("""\
## $label: $network

Per seed, on the 10,000 test digits:

| seed | NumPy test acc. (%) | PyTorch test acc. (%) | difference (pp) | NumPy test loss | PyTorch test loss \
| difference | only NumPy wrong | only PyTorch wrong | McNemar p |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$seed_rows

McNemar's exact test asks whether the digits exactly one of the two models gets wrong split evenly between them.

| | NumPy | PyTorch |
|---|---:|---:|
| test accuracy (%) | $numpy_test_accuracy | $torch_test_accuracy |
| test loss (cross-entropy) | $numpy_test_loss | $torch_test_loss |
| validation accuracy (%) | $numpy_val_accuracy | $torch_val_accuracy |
| validation loss | $numpy_val_loss | $torch_val_loss |
| parameters | $parameters | $parameters |

Mean ± sample standard deviation over seeds. The verdicts use the paired differences, not these spreads.

![$label training curves]($curves)

Mean over seeds, band from the lowest to the highest seed.

![$label confusion matrices]($confusion)

![Test digits both ${label}s get wrong]($misclassified)

Seed $seed: $both digits wrong in both, $only_numpy in NumPy only, $only_torch in PyTorch only.

$first_layer

The two frameworks' look alike because they start from the same weights and see the same batches.
""")

RULE = Template("""\
## The rule

Per seed, both frameworks start from the same weights and see the same
batches, so each metric is compared through its per-seed paired differences d = NumPy − PyTorch: their mean and a \
two-sided $confidence
Student t-interval (sample standard deviation, n − 1 degrees of freedom). With margin m:

- the whole interval inside ±m: **$equivalent** (two one-sided tests); if it also excludes 0, the report says so,
  with the direction: a systematic difference smaller than the margin;
- the interval excludes 0 and reaches beyond m: **$numpy_ahead** or **$torch_ahead**;
- otherwise: **$inconclusive**, with the number of seeds that would settle it at the observed spread.

Margins: accuracy ±$test_accuracy on test and ±$val_accuracy on validation; loss ±$test_loss on test and \
±$val_loss on validation.

$registration

Seeds: the fewest with which, if the frameworks were equal, the interval would land inside the margins with \
probability $power or more, at the largest spread of per-seed differences measured before \
(`mnist_numpy_vs_torch/comparison/sample_size.py`):

$seed_counts

Between architectures, within each framework, the report gives the paired per-seed difference (each seed sees the \
same batches in both)
and its t-interval at the same confidence, with no margin and no verdict: no rule was registered for that question.
""")

SPEED = Template("""\
## Speed

From `benchmarks/results.json`: `python -m benchmarks.run` alternates one epoch of each framework on the same data and
order, so both see the same stretch of the machine's speed. NumPy's epoch time over PyTorch's, median of the rounds
(below 1: NumPy faster), on each machine it has run on: machines sold under one name come in processor
generations, and the kernels each library picks, and so these ratios, differ between them.

$table

The training stages' own timings (`metrics/timings/`) are taken minutes apart on a machine whose speed drifts: they are
a record, not a comparison.
""")

NO_SPEED = Template("""\
## Speed

No benchmark is recorded, so this report says nothing about which framework is faster.
""")

CONFIGURATION = Template("""\
## Configuration

$recipes
- Both: $shift
- Seeds: $seed_ranges. Validation: $val_size images carved from the training set, stratified; the test set is used \
for nothing but this report.
$subset_and_environments
""")

# The title's parts.

SEED_COUNT = Template("$label $seeds seeds")

# The verdicts' parts: each architecture's, then the comparison between architectures.

ARCHITECTURE_VERDICTS = Template("""\
### $label: $network

$sentences

![$label: per-seed differences with the interval and the margin]($figure)""")

VERDICT = Template(
    "$metric: **$words** (NumPy − PyTorch = $difference, $confidence interval [$low, $high] over $seeds seeds, "
    "margin ±$margin)."
)
ONE_SEED_VERDICT = Template(
    "$metric: **$words** (NumPy − PyTorch = $difference on $seeds seed: one seed has no spread, so no interval; "
    "train at least two)."
)
EQUIVALENT_WITHIN = Template("equivalent within ±$margin")
SYSTEMATIC = Template(
    " The interval excludes 0: a systematic difference of $difference in $favoured's favour, smaller than the margin."
)
SETTLED_BY = Template(" At the observed spread about $needed seeds would settle it.")
NEVER_SETTLED = " At the observed spread no feasible number of seeds would settle it."

BETWEEN = Template("""\
### Between architectures

$lines""")
BETWEEN_LINE = Template("- $framework: test accuracy $second − $first = $difference$interval.")
BETWEEN_INTERVAL = Template(", $confidence interval [$low, $high] over $seeds seeds")
BETWEEN_ONE_SEED = " (one seed: no interval)"

# The evidence's parts.

SEED_ROW = Template(
    "| $seed | $numpy_accuracy | $torch_accuracy | $accuracy_difference | $numpy_loss | $torch_loss "
    "| $loss_difference | $only_numpy | $only_torch | $p_value |"
)
FIRST_LAYER = {  # by how the architecture's first layer is drawn (its table entry's first_layer)
    "images": Template(
        "![First-layer weights]($figure)\n\nFirst-layer weights of the first hidden units, as 28x28 images."
    ),
    "filters": Template("![First convolution's filters]($figure)\n\nThe first convolution's filters, as images."),
}

# The rule's parts.

REGISTERED = Template(
    "This is the rule registered, the same for every architecture, $dates: each before any result it judges existed "
    "(`evaluate.confidence` and `evaluate.margins` in `params.yaml`; `mnist_numpy_vs_torch/comparison/rule.py`)."
)
CHANGED = Template(
    "**The rule in `params.yaml` differs from the one registered $dates** ($registered_rule): the verdicts above were "
    "reached under a rule changed afterwards, so they are exploratory, not a test."
)
REGISTERED_DATE = Template("for the $label on $day")
SEEDS_AS_REGISTERED = Template(
    "- $label: $trained seeds, the number the sample-size rule registered on $registered_on gives it."
)
SEEDS_NOT_AS_REGISTERED = Template(
    "- $label: **$trained seeds, where the sample-size rule registered on $registered_on gives $registered**: its "
    "verdicts are exploratory, not the registered test."
)
SEEDS_UNREGISTERED = Template("- $label: $trained seeds; no sample-size rule is registered for it.")

# The speed table's parts.

SPEED_CORNER = "NumPy / PyTorch"  # what the table's cells are
SPEED_SETTING = Template("$model, batch $batch_size, $threads each")
BLAS_BOUND_ROW = "… if all but NumPy's BLAS products took no time"
RATIO = Template("$ratio (rounds $low–$high)")
NOT_MEASURED = "not measured"
MACHINE = Template("$label ($measured_on)")

# The configuration's parts.

SEED_RANGE = Template("$label 0–$last")

RECIPE = Template(
    "- $label: $network; $init initialisation, biases zero, softmax cross-entropy. $optimizer, learning rate $lr "
    "($schedule, per step), $knobs, $decay $weight_decay on weights; batch size $batch_size, $epochs epochs."
)
SCHEDULES = {
    "cosine": Template("cosine to $lr_min"),
    "step": Template("x$gamma every $step_size epochs"),
    "constant": Template("constant"),
}
OPTIMIZERS = {  # name, its settings, what its weight decay is
    "sgd": ("SGD", Template("momentum $momentum"), "weight decay"),
    "adam": ("Adam", Template("betas $beta1 and $beta2, eps $eps"), "weight decay (L2)"),
    "adamw": ("AdamW", Template("betas $beta1 and $beta2, eps $eps"), "decoupled weight decay"),
}
SHIFT = Template(
    "Each epoch every training image moves by up to $pixels each way, drawn from the seed: the same moves for every "
    "model of the seed."
)
NO_SHIFT = "The training images do not move."
SUBSET = Template("- Training on a stratified subset of $train_size of the images left (parse.train_size).")
ENVIRONMENT = Template("- $label, $framework: $library, BLAS $blas, $device, $threads threads.")
