"""The page as everyone meets it, in a real browser (headless Chromium through Playwright) against `mnist-predict
--serve`: axe-core finds nothing to fix, a keyboard reaches every control, answers are spoken, a request shows it is
under way, and an answer that comes too late, or an error that is not the server's, is told for what it is."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe

from tests.project import ARTIFACTS
from tests.recognition.serving import MODELS, ONE, SEVEN, answers, draw, drawing, everywhere, post

pytestmark = pytest.mark.slow

SPOKEN_SEVEN = "CNN: NumPy 7, PyTorch 7. MLP: NumPy 7, PyTorch 7."


@pytest.fixture
def page(browser: object, server: str) -> Iterator[object]:
    page = browser.new_page(viewport={"width": 900, "height": 700})
    page.goto(server)
    yield page
    page.close()


def violations(page: object) -> str:
    """axe-core's report of the page as it is now: every rule it runs by default (WCAG 2.x A and AA, best
    practices), empty when nothing is wrong."""
    results = Axe().run(page)
    return results.generate_report() if results.violations_count else ""


def shown(page: object) -> dict[tuple[str, str], str]:
    return {(a, f): page.inner_text(f"#{a}-{f} .digit") for a, f in MODELS}


def blank(page: object) -> bool:
    return set(shown(page).values()) == {"–"} and not page.locator("#seen").is_visible()


def hold_predict(page: object, held: list) -> None:
    """Hold the page's first request to /predict until the test lets it go; later ones go straight through."""

    def handle(route: object) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/predict", handle)


def until(page: object, condition: Callable[[], bool], seconds: float = 15.0) -> None:
    """Let the page (and Playwright's route handlers) run until `condition` holds."""
    for _ in range(int(seconds * 20)):
        if condition():
            return
        page.wait_for_timeout(50)
    pytest.fail("the page never got there")


def test_axe_finds_no_violation_before_an_answer_or_after_one(page: object) -> None:
    assert violations(page) == ""
    draw(page, SEVEN)
    assert answers(page) == everywhere(7)
    assert violations(page) == ""


def luminance(rgb: str) -> float:
    """WCAG's relative luminance of a computed colour, "rgb(r, g, b)"."""
    channels = [int(c) / 255 for c in rgb.removeprefix("rgb(").removesuffix(")").split(",")]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_answers_colours_reach_wcag_aa_where_axe_cannot_decide(page: object) -> None:
    """axe leaves a one-character text (each model's digit) undecided where it would fail, rather than call it
    text: every digit's contrast, as axe measured it, is held to AA's 4.5:1 here, and each bar to 3:1 against its
    track (WCAG 1.4.11, graphics)."""
    draw(page, SEVEN)
    answers(page)
    options = {"runOnly": ["color-contrast"], "resultTypes": ["passes", "incomplete"]}
    checked = Axe().run(page, options=options).response
    measured = {
        node["target"][0]: node["any"][0]["data"]["contrastRatio"]
        for kind in ("passes", "incomplete")
        for rule in checked[kind]
        for node in rule["nodes"]
        if node["any"] and "contrastRatio" in (node["any"][0].get("data") or {})
    }
    digits = {target: ratio for target, ratio in measured.items() if target.endswith(" > .digit")}
    assert set(digits) == {f"#{a}-{f} > .digit" for a, f in MODELS}, measured
    assert all(ratio >= 4.5 for ratio in digits.values()), digits
    for framework in ("numpy", "torch"):
        fill = page.evaluate(f"getComputedStyle(document.querySelector('.{framework} .fill')).backgroundColor")
        track = page.evaluate(f"getComputedStyle(document.querySelector('.{framework} .track')).backgroundColor")
        assert contrast(fill, track) >= 3.0, (framework, fill, track)


def test_each_answer_is_spoken_by_a_live_region(page: object) -> None:
    said = page.locator("#said")
    assert said.get_attribute("role") == "status", "a polite live region: screen readers read what lands in it"
    draw(page, SEVEN)
    answers(page)
    assert said.inner_text() == SPOKEN_SEVEN


def test_a_keyboard_reaches_the_photo_chooser_and_clear_and_hears_the_answer(page: object, tmp_path: Path) -> None:
    photo = tmp_path / "seven.png"
    photo.write_bytes(drawing(SEVEN))
    # Playwright turns on Chromium's file chooser interception when a page first listens for it, in a message of its
    # own: listening before the key presses lets that land first (expect_file_chooser alone raced Enter in 12 of 20).
    page.on("filechooser", lambda _: None)
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "photo":
            break
    assert page.evaluate("document.activeElement.id") == "photo", "Tab never reached the photo button"
    assert page.locator("#photo").is_visible()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(photo))
    assert answers(page) == everywhere(7)
    assert page.inner_text("#said") == SPOKEN_SEVEN
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "clear"
    page.keyboard.press("Enter")
    assert blank(page)


def test_the_busy_state_shows_while_a_request_runs_and_goes_with_its_answer(page: object) -> None:
    held: list = []
    hold_predict(page, held)
    assert not page.locator("#busy").is_visible()
    draw(page, SEVEN)
    until(page, lambda: bool(held))
    assert page.locator("#busy").is_visible()
    assert page.get_attribute("#answers", "aria-busy") == "true"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "serve-busy.png"))
    held[0].continue_()
    assert answers(page) == everywhere(7)
    assert not page.locator("#busy").is_visible()
    assert page.get_attribute("#answers", "aria-busy") == "false"


def test_an_answer_that_arrives_after_clear_never_shows(page: object) -> None:
    held: list = []
    hold_predict(page, held)
    draw(page, SEVEN)
    until(page, lambda: bool(held))
    page.click("#clear")
    assert not page.locator("#busy").is_visible(), "Clear ends the wait"
    with page.expect_response("**/predict") as late:
        held[0].continue_()
    assert late.value.ok and late.value.json()["predictions"]["cnn"]["numpy"]["digit"] == 7
    page.wait_for_timeout(500)  # time for the page to read the late answer, were it to show it
    assert blank(page) and page.inner_text("#said") == ""
    draw(page, ONE)
    assert answers(page) == everywhere(1), "and the page goes on answering"


def test_an_answer_that_arrives_after_a_new_stroke_never_shows(page: object, server: str) -> None:
    held: list = []
    hold_predict(page, held)
    draw(page, ONE)
    until(page, lambda: bool(held))
    draw(page, [(100, 60), (180, 60)])  # a second stroke: its answer goes straight through
    now = answers(page)
    canvas = page.evaluate("document.getElementById('pad').toDataURL('image/png')").split(",")[1]
    api = post(server, base64.b64decode(canvas)).json()["predictions"]
    assert now == {(a, f): str(api[a][f]["digit"]) for a, f in MODELS}
    stale = {a: {f: {"digit": (api[a][f]["digit"] + 1) % 10, "top": []} for f in ("numpy", "torch")} for a in api}
    held[0].fulfill(json={"image": "drawing.png", "seed": 0, "predictions": stale, "preprocessed": ""})
    page.wait_for_timeout(500)
    assert shown(page) == now, "the first stroke's answer, come late, replaced the second's"


@pytest.mark.parametrize(
    ("failure", "told"),
    [
        (  # a proxy's error page
            {"status": 502, "content_type": "text/html", "body": "<html><title>502</title><h1>Bad Gateway</h1>\n"},
            ["the server answered 502", "with text/html, not an answer: Bad Gateway"],
        ),
        ({"status": 500, "content_type": "text/plain", "body": ""}, ["the server answered 500", "(empty)"]),
        (None, ["the server did not answer: is mnist-predict --serve still running?"]),
    ],
)
def test_a_reply_that_is_not_the_servers_json_is_told_as_it_is(
    page: object, failure: dict | None, told: list[str]
) -> None:
    page.route("**/predict", lambda route: route.fulfill(**failure) if failure else route.abort())
    draw(page, SEVEN)
    page.wait_for_function("document.getElementById('status').textContent !== ''")
    status = page.inner_text("#status")
    assert status.startswith(told[0]) and status.endswith(told[-1]), status
    assert page.get_attribute("#status", "role") == "alert"
    assert not page.locator("#busy").is_visible()


def test_the_servers_own_error_is_shown_as_its_one_line(page: object, server: str) -> None:
    not_multipart = requests.post(server + "predict", data=b"x", headers={"Content-Type": "text/plain"}, timeout=10)
    page.route(
        "**/predict", lambda route: route.continue_(headers=route.request.headers | {"content-type": "text/plain"})
    )
    draw(page, SEVEN)
    page.wait_for_function("document.getElementById('status').textContent !== ''")
    assert page.inner_text("#status") == not_multipart.json()["detail"]
    assert not page.locator("#seen").is_visible()
