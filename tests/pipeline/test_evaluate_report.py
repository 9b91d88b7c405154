"""evaluate and report on small real models (`small`: the small configuration, reproduced by DVC): metrics agree
with an independent recomputation, and the report's table and images are all there."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from mnist_numpy_vs_torch.comparison import sample_size
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.models.architectures import ARCHITECTURES
from mnist_numpy_vs_torch.reporting.text import speed_section
from tests.clones import Clone
from tests.project import ROOT, SMALL, run_stage, stage_command, write_params

CONFIGURATION = yaml.safe_load(SMALL.read_text())
SEEDS = range(CONFIGURATION["mlp"]["seeds"])
assert CONFIGURATION["cnn"]["seeds"] == len(SEEDS), "the tests below pair every seed of both architectures"


@pytest.fixture(scope="module")
def project(small: Clone) -> Path:
    """The repository after `dvc repro` of the small configuration (tests/small.yaml: 2 seeds, 1 epoch, narrow
    networks): every stage's outputs, from small fast models. Read only; a test that changes anything copies it."""
    return small.path


def independent_scores(root: Path, framework: str, seed: int) -> tuple[float, float, np.ndarray]:
    """Accuracy, loss and predictions recomputed here from the weights, without the project's model classes."""
    facts = json.loads((root / "data" / "prepared" / "facts.json").read_text())
    test = dataset.load_split(root / "data" / "prepared", "test")
    x = (test.images.reshape(-1, 784) / 255.0 - facts["train_pixel_mean"]) / facts["train_pixel_std"]
    if framework == "numpy":
        with np.load(root / "models" / "mlp" / "numpy" / f"seed-{seed}.npz") as w:  # torch's names and layouts
            layers = [(w["0.weight"].T, w["0.bias"]), (w["2.weight"].T, w["2.bias"])]
    else:
        state = torch.load(root / "models" / "mlp" / "torch" / f"seed-{seed}.pt", weights_only=True)["state_dict"]
        layers = [
            (state["0.weight"].numpy().T, state["0.bias"].numpy()),
            (state["2.weight"].numpy().T, state["2.bias"].numpy()),
        ]
    hidden = np.maximum(x @ layers[0][0] + layers[0][1], 0)
    logits = hidden @ layers[1][0] + layers[1][1]
    log_probs = logits - logits.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    labels = test.labels.astype(int)
    predicted = logits.argmax(1)
    return float((predicted == labels).mean()), float(-log_probs[np.arange(len(labels)), labels].mean()), predicted


@pytest.mark.slow
def test_scores_agree_with_an_independent_recomputation(project: Path) -> None:
    scores = json.loads((project / "metrics" / "scores.json").read_text())
    for framework in ("numpy", "torch"):
        per_seed = [independent_scores(project, framework, seed) for seed in SEEDS]
        accuracy = scores["mlp"][framework]["test"]["accuracy"]
        assert [accuracy["seeds"][f"seed-{s}"] for s in SEEDS] == pytest.approx([a for a, _, _ in per_seed], abs=1e-4)
        assert accuracy["mean"] == pytest.approx(np.mean([a for a, _, _ in per_seed]), abs=1e-4)
        assert accuracy["std"] == pytest.approx(np.std([a for a, _, _ in per_seed], ddof=1), abs=1e-4)
        loss = scores["mlp"][framework]["test"]["loss"]
        assert loss["mean"] == pytest.approx(np.mean([loss for _, loss, _ in per_seed]), rel=1e-4)
        assert set(scores["mlp"][framework]) == {"test", "val"}
    assert set(scores) == {"mlp", "cnn"} and set(scores["cnn"]) == {"numpy", "torch"}


@pytest.mark.slow
def test_per_class_scores_and_confusion_data_agree(project: Path) -> None:
    classes = json.loads((project / "metrics" / "per_class.json").read_text())
    labels = dataset.load_split(project / "data" / "prepared", "test").labels.astype(int)
    for framework in ("numpy", "torch"):
        recalls = []
        for seed in SEEDS:
            predicted = independent_scores(project, framework, seed)[2]
            recalls.append([(predicted[labels == k] == k).mean() for k in range(10)])
        expected = np.mean(recalls, axis=0)
        got = [classes["mlp"][framework]["test"]["recall"][str(k)] for k in range(10)]
        assert got == pytest.approx(expected, abs=1e-9)
    first = {f: independent_scores(project, f, SEEDS[0])[2] for f in ("numpy", "torch")}
    rows = (project / "metrics" / "test_errors.csv").read_text().splitlines()
    assert rows[0] == "architecture,framework,actual,predicted,count,share_of_actual" and len(rows) == 1 + 2 * 2 * 90
    for row in rows[1:]:
        architecture, name, actual, predicted, count, share = row.split(",")
        if architecture != "MLP":
            continue
        framework = {"NumPy": "numpy", "PyTorch": "torch"}[name]
        true_class = labels == int(actual)
        assert actual != predicted, "the diagonal is left out"
        assert int(count) == int((first[framework][true_class] == int(predicted)).sum())
        assert float(share) == pytest.approx(int(count) / true_class.sum(), rel=1e-5)


@pytest.mark.slow
def test_metrics_hold_plain_numbers_and_the_keys_the_report_and_plots_use(project: Path) -> None:
    timings = sorted((project / "metrics" / "timings").glob("*.json"))
    assert [path.stem for path in timings] == ["cnn-numpy", "cnn-torch", "mlp-numpy", "mlp-torch"]
    for path in [project / "metrics" / name for name in ("summary.json", "scores.json", "comparison.json")] + timings:
        text = path.read_text()
        assert "NaN" not in text and "Infinity" not in text
        json.loads(text)
    timed = json.loads(timings[0].read_text())
    assert set(timed) == {"epoch_seconds", "samples_per_second", "seeds"}
    assert [len(epochs) for epochs in timed["seeds"].values()] == [CONFIGURATION["cnn"]["epochs"]] * len(SEEDS)
    plotted = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    for plot in plotted:
        (spec,) = plot.values()
        for file, column in spec["y"].items():
            header = (project / file).read_text().splitlines()[0].replace("\t", ",").split(",")
            assert {spec["x"], column} <= set(header), file
    loss = (project / "metrics" / "loss.tsv").read_text().splitlines()
    assert loss[0] == "epoch\tarchitecture\tframework\tdata\tloss"
    epochs = CONFIGURATION["mlp"]["epochs"] + CONFIGURATION["cnn"]["epochs"]
    assert len(loss) == 1 + epochs * 2 * 2  # (MLP's epochs + CNN's) x frameworks x (training, validation)
    assert all(float(row.split("\t")[4]) > 0 for row in loss[1:]), "a log-scale axis needs positive values"


@pytest.mark.slow
def test_the_summary_metric_holds_only_test_means_and_the_verdicts(project: Path) -> None:
    summary = json.loads((project / "metrics" / "summary.json").read_text())
    scores = json.loads((project / "metrics" / "scores.json").read_text())
    comparison = json.loads((project / "metrics" / "comparison.json").read_text())
    for architecture in ("mlp", "cnn"):
        short, judged = summary[architecture], comparison[architecture]
        assert short["numpy"]["test_acc"] == scores[architecture]["numpy"]["test"]["accuracy"]["mean"]
        assert short["torch"]["test_loss"] == scores[architecture]["torch"]["test"]["loss"]["mean"]
        assert short["diff"]["test_acc_lo"] == judged["test"]["accuracy"]["ci_low"]
        assert short["verdict"]["test_loss"] == judged["test"]["loss"]["verdict"]
        assert short["seeds"] == judged["seeds"] == len(SEEDS)
        assert sum(len(group) for name, group in short.items() if name != "seeds") == 2 + 2 + 3 + 2
    between = [scores["cnn"]["numpy"]["test"]["accuracy"]["seeds"][f"seed-{s}"] for s in SEEDS]
    between = np.subtract(between, [scores["mlp"]["numpy"]["test"]["accuracy"]["seeds"][f"seed-{s}"] for s in SEEDS])
    assert summary["cnn_vs_mlp"]["numpy"]["test_acc"] == pytest.approx(between.mean())
    judged = comparison["between"]["cnn_vs_mlp"]["numpy"]["test"]["accuracy"]
    assert judged["ci_low"] < between.mean() < judged["ci_high"]


@pytest.mark.slow
def test_report_has_the_table_and_links_only_to_images_that_exist(project: Path) -> None:
    report = (project / "report" / "README.md").read_text()
    assert "| test accuracy (%) |" in report and "| parameters | 50,890 |" in report  # 784 x 64 + 64, 64 x 10 + 10
    assert "| parameters | 2,202 |" in report  # the small CNN: 4 x 25 + 4, 8 x 4 x 25 + 8, 8 x 4 x 4 x 10 + 10
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)
    assert len(links) == 2 * 5  # per architecture: paired differences, curves, confusion, errors, first layer
    for link in links:
        image = project / "report" / link
        assert image.is_file() and image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_report_is_byte_identical_for_the_same_inputs(project: Path, tmp_path: Path) -> None:
    args = ["data/prepared", "metrics", "data/evaluation/predictions.npz", "benchmarks/results.json"]
    args += [str(tmp_path / "again"), "models/mlp/numpy", "models/mlp/torch", "models/cnn/numpy", "models/cnn/torch"]
    subprocess.run(stage_command("report", *args), cwd=project, check=True, capture_output=True)
    for path in sorted((project / "report").rglob("*.*")):
        assert path.read_bytes() == (tmp_path / "again" / path.relative_to(project / "report")).read_bytes(), path


@pytest.mark.slow
def test_comparison_metrics_hold_each_verdict_and_mcnemar_per_seed(project: Path) -> None:
    comparison = json.loads((project / "metrics" / "comparison.json").read_text())
    scores = json.loads((project / "metrics" / "scores.json").read_text())
    for split in ("test", "val"):
        for quantity in ("accuracy", "loss"):
            judged = comparison["mlp"][split][quantity]
            differences = [
                scores["mlp"]["numpy"][split][quantity]["seeds"][f"seed-{s}"]
                - scores["mlp"]["torch"][split][quantity]["seeds"][f"seed-{s}"]
                for s in SEEDS
            ]
            assert judged["mean_difference"] == pytest.approx(np.mean(differences))
            assert judged["ci_low"] <= judged["mean_difference"] <= judged["ci_high"]
            assert judged["verdict"] in {"equivalent", "numpy ahead", "torch ahead", "inconclusive"}
    predictions = np.load(project / "data" / "evaluation" / "predictions.npz")
    labels = predictions["test_labels"]
    for seed in SEEDS:
        numpy_wrong = predictions[f"mlp_numpy_seed-{seed}"] != labels
        torch_wrong = predictions[f"mlp_torch_seed-{seed}"] != labels
        mcnemar = comparison["mlp"]["mcnemar"][f"seed-{seed}"]
        assert mcnemar["numpy_only_wrong"] == int((numpy_wrong & ~torch_wrong).sum())
        assert mcnemar["torch_only_wrong"] == int((torch_wrong & ~numpy_wrong).sum())
        assert 0 < mcnemar["p_value"] <= 1


@pytest.mark.slow
def test_report_leads_with_the_verdicts_then_the_per_seed_table_and_the_rule(project: Path) -> None:
    report = (project / "report" / "README.md").read_text()
    verdicts = report.split("## Verdicts", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^- (Test|Validation) (accuracy|loss): \*\*", verdicts, flags=re.M)) == 2 * 4
    assert verdicts.index("### MLP") < verdicts.index("### CNN") < verdicts.index("### Between architectures")
    assert "95% interval" in verdicts and "margin ±0.100 pp" in verdicts
    assert "- NumPy: test accuracy CNN − MLP = " in verdicts
    for name in ("MLP", "CNN"):
        table = report.split(f"\n## {name}:", 1)[1].split("\n## ", 1)[0]
        assert len(re.findall(r"^\| \d+ \|", table, flags=re.M)) == len(SEEDS) and "McNemar p" in table
    assert "for the MLP on 2026-11-25, for the CNN on 2026-12-06: each before any result" in report
    subset = CONFIGURATION["parse"]["train_size"]
    assert f"- Training on a stratified subset of {subset:,} of the images left (parse.train_size)." in report
    speed = report.split("\n## Speed\n", 1)[1].split("\n## ", 1)[0]
    machines = json.loads((project / "benchmarks" / "results.json").read_text())["machines"]
    table = [
        [cell.strip() for cell in line.strip().strip("|").split("|")] for line in speed.splitlines() if line[:2] == "| "
    ]
    header = table[0][1:]
    assert len(header) == len(machines), "one column per machine, named by its generation"
    assert all(cell.startswith(f"{label} (") for cell, label in zip(header, machines)), header
    for column, entry in enumerate(machines.values(), start=1):
        for race in entry["epochs"]:
            name = f"{race['model']}, batch {race['batch_size']}, {race.get('threads', 2)} thread"
            row = next(cells for cells in table if cells[0].startswith(name))
            assert row[column].startswith(f"{race['numpy_over_torch']:.2f} (rounds "), (row, column)


@pytest.mark.slow
def test_a_seed_count_other_than_the_registered_one_is_reported_as_such(project: Path) -> None:
    """The small configuration trains 2 seeds where the sample-size rule gives more: its report says so."""
    report = (project / "report" / "README.md").read_text()
    for architecture in ("mlp", "cnn"):
        registered, on = sample_size.registered_seeds(architecture), sample_size.REGISTERED_ON
        assert registered != len(SEEDS)
        line = f"- {ARCHITECTURES[architecture].label}: **{len(SEEDS)} seeds, where the sample-size rule registered on "
        assert f"{line}{on} gives {registered}**: its verdicts are exploratory" in report


def test_without_a_recorded_benchmark_the_report_says_nothing_about_speed() -> None:
    assert "says nothing about which framework is faster" in speed_section(None)


@pytest.mark.slow
def test_a_rule_moved_after_registration_is_reported_as_such(small: Clone, tmp_path: Path) -> None:
    moved = small.copy(tmp_path / "moved").path
    params = yaml.safe_load((moved / "params.yaml").read_text())
    params["evaluate"]["margins"]["test_accuracy"] = 0.005
    write_params(moved, yaml.safe_dump(params))
    for stage in ("evaluate", "report"):
        assert run_stage(moved, stage).returncode == 0
    report = (moved / "report" / "README.md").read_text()
    assert "**The rule in `params.yaml` differs from the one registered for the MLP on 2026-11-25" in report
    assert "margin ±0.500 pp" in report


@pytest.mark.slow
def test_dvc_plots_show_renders_every_declared_plot(project: Path, tmp_path: Path) -> None:
    """The top-level plots of dvc.yaml, drawn by DVC itself from the evaluate stage's files with the project's
    templates (.dvc/plots)."""
    plots = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "plots", "show", "--json"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    rendered = json.loads(result.stdout)
    assert "errors" not in rendered, rendered["errors"]
    assert len(rendered["data"]) == len(plots)
    for name, entries in rendered["data"].items():
        spec = entries[0]["content"]
        assert spec["data"]["values"], name
    html = subprocess.run(
        [sys.executable, "-m", "dvc", "plots", "show", "-o", str(tmp_path / "html")],
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert html.returncode == 0 and (tmp_path / "html" / "index.html").is_file()


def test_dvc_metrics_diff_shows_a_changed_accuracy(tmp_path: Path) -> None:
    def run(*args: str) -> str:
        return subprocess.run(args, cwd=tmp_path, check=True, capture_output=True, text=True).stdout

    run("git", "init", "-q")
    run("git", "config", "user.email", "test@example.com")
    run("git", "config", "user.name", "test")
    run(sys.executable, "-m", "dvc", "init", "-q")
    (tmp_path / "dvc.yaml").write_text("metrics:\n  - metrics/summary.json\n")
    (tmp_path / "metrics").mkdir()
    for accuracy in (0.9812, 0.9843):
        (tmp_path / "metrics" / "summary.json").write_text(json.dumps({"numpy": {"test_acc": accuracy}}))
        run("git", "add", "-A")
        run("git", "commit", "-qm", f"accuracy {accuracy}")
    diff = run(sys.executable, "-m", "dvc", "metrics", "diff", "HEAD~1", "HEAD", "--md")
    assert re.search(r"numpy\.test_acc\s*\|\s*0\.9812\s*\|\s*0\.9843\s*\|\s*0\.0031", diff), diff
