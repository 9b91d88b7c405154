"""The recognition oracle on 2,000 MNIST test digits: each family's pictures read as the default model (the CNN, both
frameworks) reads the original arrays (mnist_numpy_vs_torch/recognition/oracle.py)."""

from __future__ import annotations

from benchmarks.common import ROOT, Context, Row
from mnist_numpy_vs_torch.data import dataset
from mnist_numpy_vs_torch.recognition import oracle
from mnist_numpy_vs_torch.recognition.classifier import Classifier

PICTURES = 2000
SEED = 0


def run(context: Context) -> dict:
    classifier = Classifier.load(ROOT / "models", context.prepared_dir, None)
    test = dataset.load_split(context.prepared_dir, "test")
    per_family = -(-PICTURES // len(oracle.ALL_FAMILIES))
    readings = oracle.read_pictures(classifier, test, oracle.ALL_FAMILIES, per_family, SEED)
    table = oracle.agreement(readings)
    print(oracle.as_text(table), flush=True)
    return {"recognition_oracle": {"seed": SEED, "seed_of_models": classifier.seed, "families": table}}


def rows(results: dict) -> list[Row]:
    table = results["recognition_oracle"]["families"]
    rows = []
    for family, entry in table.items():
        shares = " / ".join(f"{share:.3f}" for share in entry["agreement"].values())
        target = f">= {oracle.TARGET_ALL if family == 'all' else oracle.TARGET_FAMILY}, none refused"
        name = f"oracle, {family} ({entry['pictures']}): agreement, refused"
        rows.append((name, f"{shares}, {entry['refused']}", target))
    return rows
