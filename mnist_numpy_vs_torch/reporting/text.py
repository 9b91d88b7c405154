"""The report's Markdown: every architecture's verdicts first, then each architecture's evidence (per seed, means,
figures), the rule, speed and the configuration."""

from __future__ import annotations

import numpy as np

from mnist_numpy_vs_torch.comparison import rule, sample_size
from mnist_numpy_vs_torch.comparison.metrics import per_seed
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES
from mnist_numpy_vs_torch.models.saved import FRAMEWORKS, LABELS
from mnist_numpy_vs_torch.models.spec import parameter_count
from mnist_numpy_vs_torch.params import Params

FIGURES = "figures"
FIRST_LAYER_CAPTIONS = {  # by how the architecture's first layer is drawn (its table entry's first_layer)
    "images": "![First-layer weights]({0}/first_layer_{1}.png)\n\nFirst-layer weights of the first hidden units, "
    "as 28x28 images.",
    "filters": "![First convolution's filters]({0}/first_layer_{1}.png)\n\nThe first convolution's filters, as images.",
}
OUTCOME_WORDS = {
    rule.EQUIVALENT: "equivalent",
    rule.NUMPY_AHEAD: "NumPy ahead",
    rule.TORCH_AHEAD: "PyTorch ahead",
    rule.INCONCLUSIVE: "inconclusive: more seeds needed",
}


def both_wrong(
    predictions: np.lib.npyio.NpzFile, architecture: str, seed: int, limit: int
) -> tuple[np.ndarray, list[str]]:
    """Indices of test digits both frameworks' models of `architecture` and `seed` get wrong, with a caption each."""
    labels = predictions["test_labels"]
    numpy_pred = predictions[f"{architecture}_numpy_seed-{seed}"]
    torch_pred = predictions[f"{architecture}_torch_seed-{seed}"]
    wrong = np.flatnonzero((numpy_pred != labels) & (torch_pred != labels))
    captions = [f"true {labels[i]}\nNP {numpy_pred[i]} · PT {torch_pred[i]}" for i in wrong[:limit]]
    return wrong, captions


def pm(stats: dict[str, float], scale: float = 1.0, digits: int = 2) -> str:
    return f"{stats['mean'] * scale:.{digits}f} ± {stats['std'] * scale:.{digits}f}"


def amount(value: float, quantity: str, signed: bool = True) -> str:
    """A difference in the unit a reader thinks in: percentage points of accuracy, nats of loss."""
    sign = "+" if signed else ""
    return f"{value * 100:{sign}.3f} pp" if quantity == "accuracy" else f"{value:{sign}.4f} nats"


def verdict_sentence(split: str, quantity: str, judged: dict, confidence: float, seeds: int) -> str:
    """One line: the outcome in bold, the mean paired difference, its interval and the margin."""
    name = f"{'Test' if split == 'test' else 'Validation'} {quantity}"
    low, high, mean = judged["ci_low"], judged["ci_high"], judged["mean_difference"]
    if low is None:
        return (
            f"{name}: **{OUTCOME_WORDS[rule.INCONCLUSIVE]}** (NumPy − PyTorch = {amount(mean, quantity)} on "
            f"{seeds} seed: one seed has no spread, so no interval; train at least two)."
        )
    figures = (
        f"NumPy − PyTorch = {amount(mean, quantity)}, {confidence:.0%} interval "
        f"[{amount(low, quantity)}, {amount(high, quantity)}] over {seeds} seeds, "
        f"margin ±{amount(judged['margin'], quantity, signed=False)}"
    )
    outcome = judged["verdict"]
    words = OUTCOME_WORDS[outcome]
    if outcome == rule.EQUIVALENT:
        words = f"equivalent within ±{amount(judged['margin'], quantity, signed=False)}"
    sentence = f"{name}: **{words}** ({figures})."
    if outcome == rule.EQUIVALENT and (low > 0 or high < 0):
        lower_is_better = quantity == "loss"
        favoured = "NumPy" if (mean > 0) != lower_is_better else "PyTorch"
        sentence += (
            f" The interval excludes 0: a systematic difference of {amount(mean, quantity)} in {favoured}'s favour, "
            "smaller than the margin."
        )
    if outcome == rule.INCONCLUSIVE:
        needed = judged["seeds_needed"]
        sentence += (
            f" At the observed spread about {needed} seeds would settle it."
            if needed > 0
            else " At the observed spread no feasible number of seeds would settle it."
        )
    return sentence


def seed_lines(comparison: dict, architectures: list[str]) -> list[str]:
    """How many seeds each architecture trained, against the number the registered sample-size rule gives it."""
    lines = []
    for architecture in architectures:
        label, trained = ARCHITECTURES[architecture].label, comparison[architecture]["seeds"]
        if architecture not in sample_size.PILOT_SPREADS:
            lines.append(f"- {label}: {trained} seeds; no sample-size rule is registered for it.")
            continue
        registered = sample_size.registered_seeds(architecture)
        if trained == registered:
            lines.append(
                f"- {label}: {trained} seeds, the number the sample-size rule registered on "
                f"{sample_size.REGISTERED_ON} gives it."
            )
        else:
            lines.append(
                f"- {label}: **{trained} seeds, where the sample-size rule registered on {sample_size.REGISTERED_ON} "
                f"gives {registered}**: its verdicts are exploratory, not the registered test."
            )
    return [
        f"Seeds: the fewest with which, if the frameworks were equal, the interval would land inside the margins with "
        f"probability {sample_size.POWER:.0%} or more, at the largest spread of per-seed differences measured before "
        "(`mnist_numpy_vs_torch/comparison/sample_size.py`):",
        "",
        *lines,
    ]


def rule_lines(comparison: dict, architectures: list[str]) -> list[str]:
    first = comparison[architectures[0]]
    margins = rule.margins_applied(first)
    lines = [
        "## The rule",
        "",
        "Per seed, both frameworks start from the same weights and see the same",
        "batches, so each metric is compared through its per-seed paired differences d = NumPy − PyTorch: their mean "
        f"and a two-sided {first['confidence']:.0%}",
        "Student t-interval (sample standard deviation, n − 1 degrees of freedom). With margin m:",
        "",
        "- the whole interval inside ±m: **equivalent within ±m** (two one-sided tests); if it also excludes 0, the "
        "report says so,",
        "  with the direction: a systematic difference smaller than the margin;",
        "- the interval excludes 0 and reaches beyond m: **NumPy ahead** or **PyTorch ahead**;",
        "- otherwise: **inconclusive: more seeds needed**, with the number of seeds that would settle it at the "
        "observed spread.",
        "",
        f"Margins: accuracy ±{margins['test_accuracy'] * 100:g} pp on test and ±{margins['val_accuracy'] * 100:g} pp "
        f"on validation; loss ±{margins['test_loss']:g} nats on test and ±{margins['val_loss']:g} nats on validation.",
        "",
    ]
    dates = ", ".join(f"for the {ARCHITECTURES[a].label} on {ARCHITECTURES[a].registered_on}" for a in architectures)
    if rule.is_registered(first["confidence"], margins):
        lines.append(
            f"This is the rule registered, the same for every architecture, {dates}: each before any result it "
            "judges existed (`evaluate.confidence` and `evaluate.margins` in `params.yaml`; "
            "`mnist_numpy_vs_torch/comparison/rule.py`)."
        )
    else:
        lines.append(
            f"**The rule in `params.yaml` differs from the one registered {dates}** "
            f"({rule.REGISTERED_RULE}): the verdicts above were reached under a rule changed afterwards, so "
            "they are exploratory, not a test."
        )
    lines += ["", *seed_lines(comparison, architectures)]
    lines += [
        "",
        "Between architectures, within each framework, the report gives the paired per-seed difference (each seed "
        "sees the same batches in both)",
        "and its t-interval at the same confidence, with no margin and no verdict: no rule was registered for that "
        "question.",
    ]
    return [*lines, ""]


def per_seed_table(scores: dict, comparison: dict, seeds: tuple[int, ...]) -> list[str]:
    lines = [
        "| seed | NumPy test acc. (%) | PyTorch test acc. (%) | difference (pp) | NumPy test loss | PyTorch test loss "
        "| difference | only NumPy wrong | only PyTorch wrong | McNemar p |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seed in seeds:
        name = f"seed-{seed}"
        accuracy = [scores[f]["test"]["accuracy"]["seeds"][name] for f in FRAMEWORKS]
        loss = [scores[f]["test"]["loss"]["seeds"][name] for f in FRAMEWORKS]
        mcnemar = comparison["mcnemar"][name]
        lines.append(
            f"| {seed} | {accuracy[0] * 100:.2f} | {accuracy[1] * 100:.2f} | {(accuracy[0] - accuracy[1]) * 100:+.2f} "
            f"| {loss[0]:.4f} | {loss[1]:.4f} | {loss[0] - loss[1]:+.4f} | {mcnemar['numpy_only_wrong']} "
            f"| {mcnemar['torch_only_wrong']} | {mcnemar['p_value']:.3f} |"
        )
    return lines


def speed_lines(benchmark: dict | None) -> list[str]:
    """Speed only from the benchmark's interleaved, paired measurement, one column per machine it ran on; nothing
    from the stages' own timings."""
    lines = ["## Speed", ""]
    machines = (benchmark or {}).get("machines", {})
    measured = {label: entry for label, entry in machines.items() if entry.get("epochs")}
    if not measured:
        return [*lines, "No benchmark is recorded, so this report says nothing about which framework is faster.", ""]
    lines += [
        "From `benchmarks/results.json`: `python -m benchmarks.run` alternates one epoch of each framework on the "
        "same data and",
        "order, so both see the same stretch of the machine's speed. NumPy's epoch time over PyTorch's, median of "
        "the rounds",
        "(below 1: NumPy faster), on each machine it has run on: machines sold under one name come in processor",
        "generations, and the kernels each library picks, and so these ratios, differ between them.",
        "",
        "| NumPy / PyTorch | " + " | ".join(f"{label} ({when(entry)})" for label, entry in measured.items()) + " |",
        "|---|" + "---:|" * len(measured),
    ]
    races = {}  # (model, batch, threads) -> {label: race}, in the order the benchmark runs them
    for label, entry in measured.items():
        for race in entry["epochs"]:
            key = (race["model"], race["batch_size"], race.get("threads", entry["machine"]["cores"]))
            races.setdefault(key, {})[label] = race
    for (model, batch, threads), by_machine in races.items():
        each = f"{threads} thread{'s' if threads > 1 else ''} each"
        cells = [ratio_cell(by_machine.get(label)) for label in measured]
        lines.append(f"| {model}, batch {batch}, {each} | " + " | ".join(cells) + " |")
        if model.startswith("CNN"):
            bounds = [bound_cell(by_machine.get(label)) for label in measured]
            lines.append("| … if all but NumPy's BLAS products took no time | " + " | ".join(bounds) + " |")
    lines += [
        "",
        "The training stages' own timings (`metrics/timings/`) are taken minutes apart on a machine whose speed "
        "drifts: they are",
        "a record, not a comparison.",
        "",
    ]
    return lines


def when(entry: dict) -> str:
    """The day the races were run, and the code they ran (recorded since 2026-12-06)."""
    commit = entry.get("commit", {}).get("epochs")
    return entry.get("measured_on", {}).get("epochs", entry["date"]) + (f", {commit}" if commit else "")


def ratio_cell(race: dict | None) -> str:
    if race is None:
        return "not measured"
    low, high = race["numpy_over_torch_range"]
    return f"{race['numpy_over_torch']:.2f} (rounds {low:.2f}–{high:.2f})"


def bound_cell(race: dict | None) -> str:
    return (
        "" if race is None or "blas_only_numpy_over_torch" not in race else f"{race['blas_only_numpy_over_torch']:.2f}"
    )


def paired_panels(scores: dict, comparison: dict, seeds: tuple[int, ...]) -> dict[str, dict]:
    """What figures.paired_differences draws: per metric, the per-seed differences, the interval and the margin."""
    panels = {}
    for split, quantity, _ in rule.METRICS:
        judged = comparison[split][quantity]
        differences = np.subtract(
            per_seed(scores, "numpy", split, quantity, seeds), per_seed(scores, "torch", split, quantity, seeds)
        )
        title = f"{'test' if split == 'test' else 'validation'} {quantity}"
        panels[title] = {
            "per_seed": differences.tolist(),
            "mean": judged["mean_difference"],
            "ci_low": judged["ci_low"],
            "ci_high": judged["ci_high"],
            "margin": judged["margin"],
            "scale": 100.0 if quantity == "accuracy" else 1.0,
            "unit": "NumPy − PyTorch (pp)" if quantity == "accuracy" else "NumPy − PyTorch (nats)",
        }
    return panels


def architecture_name(params: Params, architecture: str) -> str:
    """The network in one line."""
    return ARCHITECTURES[architecture].describe(getattr(params, architecture))


def parameters_of(params: Params, architecture: str) -> int:
    return parameter_count(ARCHITECTURES[architecture].spec(getattr(params, architecture)))


def recipe_line(params: Params, architecture: str) -> str:
    recipe = getattr(params, architecture)
    schedule = {"cosine": f"cosine to {recipe.lr_min:g}", "step": "step", "constant": "constant"}[recipe.schedule]
    if recipe.schedule == "step":
        schedule = f"x{recipe.gamma:g} every {recipe.step_size} epochs"
    if recipe.optimizer == "sgd":
        optimizer, knobs, decay = "SGD", f"momentum {recipe.momentum:g}", "weight decay"
    else:
        optimizer = {"adam": "Adam", "adamw": "AdamW"}[recipe.optimizer]
        knobs = f"betas {recipe.betas[0]:g} and {recipe.betas[1]:g}, eps {recipe.eps:g}"
        decay = "decoupled weight decay" if recipe.optimizer == "adamw" else "weight decay (L2)"
    return (
        f"- {ARCHITECTURES[architecture].label}: {architecture_name(params, architecture)}; "
        f"{recipe.init.replace('_', ' ')} "
        f"initialisation, biases zero, softmax cross-entropy. {optimizer}, learning rate {recipe.lr:g} "
        f"({schedule}, per step), {knobs}, {decay} {recipe.weight_decay:g} on weights; batch size "
        f"{recipe.batch_size}, {recipe.epochs} epochs."
    )


def between_lines(comparison: dict) -> list[str]:
    """Each later architecture minus the first, within each framework: test accuracy, with its interval over the
    seeds both trained."""
    lines = []
    for name, between in comparison.get("between", {}).items():
        second, first = name.split("_vs_")
        confidence, seeds = comparison[first]["confidence"], between["seeds"]
        for framework in FRAMEWORKS:
            judged = between[framework]["test"]["accuracy"]
            low, high = judged["ci_low"], judged["ci_high"]
            interval = (
                f", {confidence:.0%} interval [{amount(low, 'accuracy')}, {amount(high, 'accuracy')}] over {seeds} "
                "seeds"
                if low is not None
                else " (one seed: no interval)"
            )
            difference = amount(judged["mean_difference"], "accuracy")
            names = f"{ARCHITECTURES[second].label} − {ARCHITECTURES[first].label}"
            lines.append(f"- {LABELS[framework]}: test accuracy {names} = {difference}{interval}.")
    return lines


def architecture_section(
    params: Params, architecture: str, scores: dict, comparison: dict, wrong_counts: tuple[int, int, int]
) -> list[str]:
    """One architecture's evidence: per seed, means over seeds, and its figures."""
    seeds = tuple(range(comparison["seeds"]))
    n, t = scores["numpy"]["test"], scores["torch"]["test"]
    nv, tv = scores["numpy"]["val"], scores["torch"]["val"]
    count = parameters_of(params, architecture)
    both, only_numpy, only_torch = wrong_counts
    name = ARCHITECTURES[architecture].label
    first = FIRST_LAYER_CAPTIONS[ARCHITECTURES[architecture].first_layer].format(FIGURES, architecture)
    return [
        f"## {name}: {architecture_name(params, architecture)}",
        "",
        "Per seed, on the 10,000 test digits:",
        "",
        *per_seed_table(scores, comparison, seeds),
        "",
        "McNemar's exact test asks whether the digits exactly one of the two models gets wrong split evenly between "
        "them.",
        "",
        "| | NumPy | PyTorch |",
        "|---|---:|---:|",
        f"| test accuracy (%) | {pm(n['accuracy'], 100)} | {pm(t['accuracy'], 100)} |",
        f"| test loss (cross-entropy) | {pm(n['loss'], digits=4)} | {pm(t['loss'], digits=4)} |",
        f"| validation accuracy (%) | {pm(nv['accuracy'], 100)} | {pm(tv['accuracy'], 100)} |",
        f"| validation loss | {pm(nv['loss'], digits=4)} | {pm(tv['loss'], digits=4)} |",
        f"| parameters | {count:,} | {count:,} |",
        "",
        "Mean ± sample standard deviation over seeds. The verdicts use the paired differences, not these spreads.",
        "",
        f"![{name} training curves]({FIGURES}/curves_{architecture}.png)",
        "",
        "Mean over seeds, band from the lowest to the highest seed.",
        "",
        f"![{name} confusion matrices]({FIGURES}/confusion_{architecture}.png)",
        "",
        f"![Test digits both {name}s get wrong]({FIGURES}/misclassified_{architecture}.png)",
        "",
        f"Seed {seeds[0]}: {both} digits wrong in both, {only_numpy} in NumPy only, {only_torch} in PyTorch only.",
        "",
        first,
        "",
        "The two frameworks' look alike because they start from the same weights and see the same batches.",
        "",
    ]


def markdown(
    params: Params,
    scores: dict,
    comparison: dict,
    runs: dict,
    benchmark: dict | None,
    wrong_counts: dict[str, tuple[int, int, int]],
) -> str:
    """The report; scores, comparison and runs as metrics/*.json hold them, keyed by architecture first."""
    train = params.train
    architectures = [a for a in ARCHITECTURES if a in scores]  # in the table's order: the MLP first
    verdicts = []
    for architecture in architectures:
        judged = comparison[architecture]
        verdicts += [f"### {ARCHITECTURES[architecture].label}: {architecture_name(params, architecture)}", ""]
        verdicts += [
            f"- {verdict_sentence(split, quantity, judged[split][quantity], judged['confidence'], judged['seeds'])}"
            for split, quantity, _ in rule.METRICS
        ]
        verdicts += [
            "",
            f"![{ARCHITECTURES[architecture].label}: per-seed differences with the interval and the margin]"
            f"({FIGURES}/paired_differences_{architecture}.png)",
            "",
        ]
    between = between_lines(comparison)
    if between:
        verdicts += ["### Between architectures", "", *between, ""]
    shift = (
        f"Each epoch every training image moves by up to {train.shift} pixel{'s' if train.shift > 1 else ''} each "
        "way, drawn from the seed: the same moves for every model of the seed."
        if train.shift
        else "The training images do not move."
    )
    names = " and ".join(ARCHITECTURES[a].label for a in architectures)
    lines = [
        "# NumPy vs PyTorch on MNIST",
        "",
        f"The same networks ({names}), each trained from the same initial weights on the same batches in the same "
        "order,",
        "once written from scratch in NumPy and once in PyTorch; "
        + ", ".join(f"{ARCHITECTURES[a].label} {comparison[a]['seeds']} seeds" for a in architectures)
        + ", paired by seed.",
        "",
        "## Verdicts",
        "",
        "Each dot in a figure is one seed's NumPy − PyTorch difference; the bar is the interval, the shaded band the "
        "margin.",
        "",
        *verdicts,
        *(
            line
            for architecture in architectures
            for line in architecture_section(
                params, architecture, scores[architecture], comparison[architecture], wrong_counts[architecture]
            )
        ),
        *rule_lines(comparison, architectures),
        *speed_lines(benchmark),
        "## Configuration",
        "",
        *(recipe_line(params, a) for a in architectures),
        f"- Both: {shift}",
        "- Seeds: "
        + ", ".join(f"{ARCHITECTURES[a].label} 0–{comparison[a]['seeds'] - 1}" for a in architectures)
        + f". Validation: {params.parse.val_size} images carved "
        "from the training set, stratified; the test set is used for nothing but this report.",
        *(
            [f"- Training on a stratified subset of {params.parse.train_size:,} of the images left (parse.train_size)."]
            if params.parse.train_size != "all"
            else []
        ),
        *(
            f"- {ARCHITECTURES[a].label}, {LABELS[f]}: {runs[a][f]['framework']}, BLAS {runs[a][f]['blas']}, "
            f"{runs[a][f]['device']}, {runs[a][f]['threads']} threads."
            for a in architectures
            for f in FRAMEWORKS
        ),
        "",
    ]
    return "\n".join(lines)
