"""The report's Markdown: reporting/templates.py's sections, filled with what evaluate found (metrics/*.json, keyed by
architecture first), the benchmark's races and the configuration. Every architecture's verdicts first, then each
architecture's evidence, the rule, speed and the configuration."""

from __future__ import annotations

from mnist_numpy_vs_torch.comparison import rule, sample_size
from mnist_numpy_vs_torch.comparison.metrics import (
    SharedErrors,
    architecture_pairs,
    between_key,
    paired_differences,
    per_seed,
    seeds_scored,
)
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES
from mnist_numpy_vs_torch.models.folders import FRAMEWORKS, LABELS, seed_name
from mnist_numpy_vs_torch.models.spec import parameter_count
from mnist_numpy_vs_torch.params import Params, Recipe, StageParams
from mnist_numpy_vs_torch.reporting import speed, templates
from mnist_numpy_vs_torch.reporting.figure_data import FIRST_SEED
from mnist_numpy_vs_torch.reporting.words import (
    OUTCOME_WORDS,
    amount,
    figure,
    margin,
    mean_and_spread,
    metric_name,
    number,
    percent,
    plural,
    table_row,
)


def network(params: Params | StageParams, architecture: str) -> str:
    """The network in one line, as its table entry describes it."""
    return ARCHITECTURES[architecture].describe(getattr(params, architecture))


def verdict_sentence(split: str, quantity: str, higher_is_better: bool, comparison: dict) -> str:
    """One metric's verdict (of one architecture's entry in metrics/comparison.json): the outcome in bold, the mean
    paired difference, its interval and the margin."""
    judged, seeds = comparison[split][quantity], comparison["seeds"]
    mean, low, high = judged["mean_difference"], judged["ci_low"], judged["ci_high"]
    metric, difference = metric_name(split, quantity).capitalize(), amount(mean, quantity)
    if low is None:
        words = OUTCOME_WORDS[rule.INCONCLUSIVE]
        return templates.ONE_SEED_VERDICT.substitute(metric=metric, words=words, difference=difference, seeds=seeds)
    outcome, margin_amount = judged["verdict"], amount(judged["margin"], quantity, signed=False)
    words = (
        templates.EQUIVALENT_WITHIN.substitute(margin=margin_amount)
        if outcome == rule.EQUIVALENT
        else OUTCOME_WORDS[outcome]
    )
    sentence = templates.VERDICT.substitute(
        metric=metric,
        words=words,
        difference=difference,
        confidence=percent(comparison["confidence"]),
        low=amount(low, quantity),
        high=amount(high, quantity),
        seeds=seeds,
        margin=margin_amount,
    )
    if outcome == rule.EQUIVALENT and (low > 0 or high < 0):
        favoured = "numpy" if (mean > 0) == higher_is_better else "torch"
        sentence += templates.SYSTEMATIC.substitute(difference=difference, favoured=LABELS[favoured])
    if outcome == rule.INCONCLUSIVE:
        needed = judged["seeds_needed"]
        sentence += templates.SETTLED_BY.substitute(needed=needed) if needed > 0 else templates.NEVER_SETTLED
    return sentence


def between_lines(comparison: dict, architectures: list[str]) -> list[str]:
    """Each later architecture minus each earlier one, within each framework: test accuracy, with its interval over
    the seeds both trained."""
    lines = []
    for first, second in architecture_pairs(architectures):
        between = comparison.get("between", {}).get(between_key(first, second))
        if between is None:
            continue
        for framework in FRAMEWORKS:
            judged = between[framework]["test"]["accuracy"]
            interval = templates.BETWEEN_ONE_SEED
            if judged["ci_low"] is not None:
                interval = templates.BETWEEN_INTERVAL.substitute(
                    confidence=percent(comparison[first]["confidence"]),
                    low=amount(judged["ci_low"], "accuracy"),
                    high=amount(judged["ci_high"], "accuracy"),
                    seeds=between["seeds"],
                )
            lines.append(
                templates.BETWEEN_LINE.substitute(
                    framework=LABELS[framework],
                    second=ARCHITECTURES[second].label,
                    first=ARCHITECTURES[first].label,
                    difference=amount(judged["mean_difference"], "accuracy"),
                    interval=interval,
                )
            )
    return lines


def verdicts(params: Params | StageParams, comparison: dict, architectures: list[str]) -> str:
    parts = [
        templates.ARCHITECTURE_VERDICTS.substitute(
            label=ARCHITECTURES[architecture].label,
            network=network(params, architecture),
            sentences="\n".join(
                f"- {verdict_sentence(split, quantity, higher_is_better, comparison[architecture])}"
                for split, quantity, higher_is_better in rule.METRICS
            ),
            figure=figure("paired_differences", architecture),
        )
        for architecture in architectures
    ]
    between = between_lines(comparison, architectures)
    if between:
        parts.append(templates.BETWEEN.substitute(lines="\n".join(between)))
    return templates.VERDICTS.substitute(architectures="\n\n".join(parts))


def seed_rows(scores: dict, comparison: dict) -> str:
    """One architecture's per-seed table (its entries in metrics/scores.json and metrics/comparison.json)."""
    seeds = seeds_scored(comparison)
    quantities = ("accuracy", "loss")
    values = {
        (f, quantity): per_seed(scores, f, "test", quantity, seeds) for f in FRAMEWORKS for quantity in quantities
    }
    differences = {quantity: paired_differences(scores, "test", quantity, seeds) for quantity in quantities}
    rows = []
    for index, seed in enumerate(seeds):
        mcnemar = comparison["mcnemar"][seed_name(seed)]
        rows.append(
            templates.SEED_ROW.substitute(
                seed=seed,
                **{f"{f}_{quantity}": number(values[f, quantity][index], quantity) for f, quantity in values},
                **{
                    f"{quantity}_difference": number(differences[quantity][index], quantity, signed=True)
                    for quantity in quantities
                },
                only_numpy=mcnemar["numpy_only_wrong"],
                only_torch=mcnemar["torch_only_wrong"],
                p_value=f"{mcnemar['p_value']:.3f}",
            )
        )
    return "\n".join(rows)


def evidence(
    params: Params | StageParams, architecture: str, scores: dict, comparison: dict, errors: SharedErrors
) -> str:
    """One architecture's evidence: per seed, means over seeds, and its figures."""
    entry = ARCHITECTURES[architecture]
    spreads = {
        f"{framework}_{split}_{quantity}": mean_and_spread(scores[framework][split][quantity], quantity)
        for framework in FRAMEWORKS
        for split, quantity, _ in rule.METRICS
    }
    return templates.EVIDENCE.substitute(
        label=entry.label,
        network=network(params, architecture),
        seed_rows=seed_rows(scores, comparison),
        **spreads,
        parameters=f"{parameter_count(entry.spec(getattr(params, architecture))):,}",
        curves=figure("curves", architecture),
        confusion=figure("confusion", architecture),
        misclassified=figure("misclassified", architecture),
        seed=FIRST_SEED,
        both=len(errors.both),
        only_numpy=errors.only_numpy,
        only_torch=errors.only_torch,
        first_layer=templates.FIRST_LAYER[entry.first_layer].substitute(figure=figure("first_layer", architecture)),
    )


def seed_count(comparison: dict, architecture: str) -> str:
    """How many seeds an architecture trained, against the number the registered sample-size rule gives it."""
    label, trained = ARCHITECTURES[architecture].label, comparison[architecture]["seeds"]
    if architecture not in sample_size.PILOT_SPREADS:
        return templates.SEEDS_UNREGISTERED.substitute(label=label, trained=trained)
    registered = sample_size.registered_seeds(architecture)
    line = templates.SEEDS_AS_REGISTERED if trained == registered else templates.SEEDS_NOT_AS_REGISTERED
    return line.substitute(label=label, trained=trained, registered_on=sample_size.REGISTERED_ON, registered=registered)


def the_rule(comparison: dict, architectures: list[str]) -> str:
    first = comparison[architectures[0]]
    margins = rule.margins_applied(first)
    dates = ", ".join(
        templates.REGISTERED_DATE.substitute(label=ARCHITECTURES[a].label, day=ARCHITECTURES[a].registered_on)
        for a in architectures
    )
    if rule.is_registered(first["confidence"], margins):
        registration = templates.REGISTERED.substitute(dates=dates)
    else:
        registration = templates.CHANGED.substitute(dates=dates, registered_rule=rule.REGISTERED_RULE)
    return templates.RULE.substitute(
        confidence=percent(first["confidence"]),
        equivalent=templates.EQUIVALENT_WITHIN.substitute(margin="m"),
        numpy_ahead=OUTCOME_WORDS[rule.NUMPY_AHEAD],
        torch_ahead=OUTCOME_WORDS[rule.TORCH_AHEAD],
        inconclusive=OUTCOME_WORDS[rule.INCONCLUSIVE],
        **{
            f"{split}_{quantity}": margin(margins[f"{split}_{quantity}"], quantity)
            for split, quantity, _ in rule.METRICS
        },
        registration=registration,
        power=percent(sample_size.POWER),
        seed_counts="\n".join(seed_count(comparison, a) for a in architectures),
    )


def ratio_cell(race: dict | None) -> str:
    if race is None:
        return templates.NOT_MEASURED
    low, high = race["numpy_over_torch_range"]
    return templates.RATIO.substitute(ratio=f"{race['numpy_over_torch']:.2f}", low=f"{low:.2f}", high=f"{high:.2f}")


def blas_bound_cell(race: dict | None) -> str:
    return "" if race is None else f"{race['blas_only_numpy_over_torch']:.2f}"


def speed_section(benchmark: dict | None) -> str:
    """Speed only from the benchmark's interleaved, paired measurement, one column per machine it ran on."""
    machines = speed.measured_machines(benchmark)
    if not machines:
        return templates.NO_SPEED.substitute()
    columns = [
        templates.MACHINE.substitute(label=label, measured_on=speed.measured_on(entry))
        for label, entry in machines.items()
    ]
    rows = [table_row([templates.SPEED_CORNER, *columns]), "|---|" + "---:|" * len(machines)]
    for setting, by_machine in speed.races_by_setting(machines).items():
        name = templates.SPEED_SETTING.substitute(
            model=setting.model, batch_size=setting.batch_size, threads=plural(setting.threads, "thread")
        )
        rows.append(table_row([name, *(ratio_cell(by_machine.get(label)) for label in machines)]))
        if setting.architecture in speed.BLAS_BOUND_SHOWN:
            bounds = [blas_bound_cell(by_machine.get(label)) for label in machines]
            rows.append(table_row([templates.BLAS_BOUND_ROW, *bounds]))
    return templates.SPEED.substitute(table="\n".join(rows))


def recipe_line(params: Params | StageParams, architecture: str) -> str:
    recipe: Recipe = getattr(params, architecture)
    settings = {
        "lr_min": f"{recipe.lr_min:g}",
        "gamma": f"{recipe.gamma:g}",
        "step_size": recipe.step_size,
        "momentum": f"{recipe.momentum:g}",
        "beta1": f"{recipe.betas[0]:g}",
        "beta2": f"{recipe.betas[1]:g}",
        "eps": f"{recipe.eps:g}",
    }
    optimizer, knobs, decay = templates.OPTIMIZERS[recipe.optimizer]
    return templates.RECIPE.substitute(
        label=ARCHITECTURES[architecture].label,
        network=network(params, architecture),
        init=recipe.init.replace("_", " "),
        optimizer=optimizer,
        lr=f"{recipe.lr:g}",
        schedule=templates.SCHEDULES[recipe.schedule].substitute(settings),
        knobs=knobs.substitute(settings),
        decay=decay,
        weight_decay=f"{recipe.weight_decay:g}",
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
    )


def configuration(params: Params | StageParams, comparison: dict, runs: dict, architectures: list[str]) -> str:
    shift = params.train.shift
    subset = params.parse.train_size
    environments = [
        templates.ENVIRONMENT.substitute(
            label=ARCHITECTURES[a].label,
            framework=LABELS[f],
            library=runs[a][f]["framework"],
            blas=runs[a][f]["blas"],
            device=runs[a][f]["device"],
            threads=runs[a][f]["threads"],
        )
        for a in architectures
        for f in FRAMEWORKS
    ]
    return templates.CONFIGURATION.substitute(
        recipes="\n".join(recipe_line(params, a) for a in architectures),
        shift=templates.SHIFT.substitute(pixels=plural(shift, "pixel")) if shift else templates.NO_SHIFT,
        seed_ranges=", ".join(
            templates.SEED_RANGE.substitute(label=ARCHITECTURES[a].label, last=seeds_scored(comparison[a])[-1])
            for a in architectures
        ),
        val_size=params.parse.val_size,
        subset_and_environments="\n".join(
            ([templates.SUBSET.substitute(train_size=f"{subset:,}")] if subset != "all" else []) + environments
        ),
    )


def markdown(
    params: Params | StageParams,
    scores: dict,
    comparison: dict,
    runs: dict,
    benchmark: dict | None,
    errors: dict[str, SharedErrors],
) -> str:
    """The report; scores, comparison and runs as metrics/*.json hold them, errors as comparison.metrics.shared_errors
    finds them in each architecture's first seed."""
    architectures = [a for a in ARCHITECTURES if a in scores]  # in the table's order: the MLP first
    title = templates.TITLE.substitute(
        names=" and ".join(ARCHITECTURES[a].label for a in architectures),
        seed_counts=", ".join(
            templates.SEED_COUNT.substitute(label=ARCHITECTURES[a].label, seeds=comparison[a]["seeds"])
            for a in architectures
        ),
    )
    sections = [
        title,
        verdicts(params, comparison, architectures),
        *(evidence(params, a, scores[a], comparison[a], errors[a]) for a in architectures),
        the_rule(comparison, architectures),
        speed_section(benchmark),
        configuration(params, comparison, runs, architectures),
    ]
    return "\n".join(sections)
