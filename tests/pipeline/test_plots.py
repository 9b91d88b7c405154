"""`dvc plots show` and `dvc plots diff` in a fresh clone after `dvc repro`: the page draws every plot in a real
browser (headless Chromium) with the network cut off, and the plots are the ones dvc.yaml asks for."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.clones import Clone
from tests.project import ARTIFACTS, ROOT

pytestmark = pytest.mark.slow

PLOTS = yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"]


def drawn_plots(browser: object, page_file: Path, screenshot: str) -> tuple[list[dict], list[str]]:
    """Open `page_file` with every request but file:// refused; return, per plot, its size, title and the number of
    data marks Vega drew (lines and cells: axes and legends do not count), and the URLs the page tried to fetch."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    refused: list[str] = []

    def offline(route: object) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())
    page.wait_for_function(
        f"document.querySelectorAll('.vega-embed svg, .vega-embed canvas').length >= {len(PLOTS)}", timeout=20_000
    )
    page.wait_for_timeout(300)  # Vega draws asynchronously after it inserts the element
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.vega-embed')].map(embed => {
            const view = embed.querySelector('svg, canvas');
            const box = view.getBoundingClientRect();
            return {width: box.width, height: box.height,
                    marks: embed.querySelectorAll('svg g.mark-line.role-mark > path,'
                                                  + ' svg g.mark-rect.role-mark > path').length,
                    title: [...embed.querySelectorAll('svg .role-title-text')].map(t => t.textContent).join(' ')};
        })"""
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / screenshot), full_page=True)
    context.close()
    assert errors == [], errors
    return drawn, refused


def test_plots_show_draws_every_plot_with_no_network(reproduced: Clone, browser: object, tmp_path: Path) -> None:
    reproduced.run("dvc", "plots", "show", "-o", str(tmp_path / "show"))
    page = tmp_path / "show" / "index.html"
    assert "cdn.jsdelivr" not in page.read_text()
    drawn, refused = drawn_plots(browser, page, "dvc-plots-show.png")
    assert refused == []
    assert len(drawn) == len(PLOTS)
    fewest_marks = [4, 2, 20]  # loss: 2 frameworks x (training, validation); accuracy: 2; errors: cells
    for plot, figure, fewest in zip(PLOTS, drawn, fewest_marks):
        (name,) = plot
        assert figure["width"] > 200 and figure["height"] > 150, name
        assert figure["marks"] >= fewest, f"{name}: {figure['marks']} marks drawn"
        assert name in figure["title"]


def test_plots_diff_draws_both_revisions_with_no_network(reproduced: Clone, browser: object, tmp_path: Path) -> None:
    reproduced.run("dvc", "plots", "diff", "HEAD", "-o", str(tmp_path / "diff"))
    drawn, refused = drawn_plots(browser, tmp_path / "diff" / "index.html", "dvc-plots-diff.png")
    assert refused == [] and len(drawn) == len(PLOTS)
    loss, accuracy, errors = (figure["marks"] for figure in drawn)
    assert loss >= 8 and accuracy >= 4 and errors >= 40, "each revision draws its own curves and cells"


def test_the_plots_are_log_loss_framework_colours_and_errors_only(reproduced: Clone) -> None:
    specs = json.loads(reproduced.run("dvc", "plots", "show", "--json").stdout)["data"]
    loss, accuracy, errors = (specs[name][0]["content"] for plot in PLOTS for name in plot)
    assert loss["encoding"]["y"]["scale"]["type"] == "log"
    assert loss["encoding"]["y"]["title"] == "cross-entropy loss (nats)"
    for curves in (loss, accuracy):
        assert curves["encoding"]["color"]["field"] == "framework"
        assert {row["framework"] for row in curves["data"]["values"]} == {"NumPy", "PyTorch"}
    rows = errors["data"]["values"]
    assert rows and all(row["actual"] != row["predicted"] for row in rows)
    assert {row["framework"] for row in rows} == {"NumPy", "PyTorch"}
