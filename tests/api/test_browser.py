"""The demo page in a real browser: Debian's Chromium driven by Playwright against the live service.

Run alone with ``make test-browser``. Skipped where /usr/bin/chromium is absent (CI installs it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.support.images import encode_image
from tests.support.paths import ROOT
from tests.support.server import LiveServer
from training.sources import MnistSplit

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-output"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api")

Stroke = list[tuple[float, float]]  # points as fractions of the canvas side
STROKES: dict[int, list[Stroke]] = {
    1: [[(0.48, 0.15), (0.5, 0.5), (0.52, 0.85)]],
    0: [[(0.5 + 0.2 * math.sin(t), 0.5 - 0.32 * math.cos(t)) for t in np.linspace(0, 2 * math.pi, 40)]],
    7: [[(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]],
    4: [[(0.6, 0.85), (0.6, 0.15), (0.22, 0.62), (0.8, 0.62)]],
}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.goto(live_server.url + "/")
    playwright_api.expect(page.locator("#model-info")).to_contain_text("test accuracy")
    yield page
    context.close()


def draw(page, strokes: list[Stroke]) -> None:  # type: ignore[no-untyped-def]
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        points = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in stroke]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=8)
        page.mouse.up()


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_drawn_digit_is_predicted(page, digit: int) -> None:  # type: ignore[no-untyped-def]
    draw(page, STROKES[digit])
    playwright_api.expect(page.locator("#digit")).to_have_text(str(digit))
    playwright_api.expect(page.locator("#confidence")).to_contain_text("Confidence")
    assert page.locator("#bars li").count() == 10
    playwright_api.expect(page.locator("#preview")).to_be_hidden()  # no upload yet: no broken image
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"drawn-{digit}.png"))


def test_clear_resets_the_canvas_and_the_result(page) -> None:  # type: ignore[no-untyped-def]
    draw(page, STROKES[7])
    playwright_api.expect(page.locator("#digit")).to_have_text("7")
    corner = page.evaluate("() => document.getElementById('pad').getContext('2d').getImageData(0, 0, 1, 1).data[3]")
    assert corner == 0  # the pad is a transparent layer: the service reads its strokes as a drawing
    page.get_by_role("button", name="Clear").click()
    playwright_api.expect(page.locator("#digit")).to_have_text("\u2013")  # the placeholder dash
    assert page.locator("#bars li").count() == 0
    ink = page.evaluate(
        "() => { const c = document.getElementById('pad');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let drawn = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) drawn++; return drawn; }"
    )
    assert ink == 0  # nothing drawn on the pad's transparent layer


def test_upload_of_a_real_digit_is_predicted_and_previewed(page, test_digits: MnistSplit, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    image, label = test_digits.images[1], int(test_digits.labels[1])
    scan = np.asarray(255 - image, dtype=np.uint8).repeat(6, axis=0).repeat(6, axis=1)  # dark ink on paper
    path = tmp_path / "scan.png"
    path.write_bytes(encode_image(scan))
    page.locator("#upload").set_input_files(str(path))
    playwright_api.expect(page.locator("#digit")).to_have_text(str(label))
    playwright_api.expect(page.locator("#preview")).to_be_visible()


def test_error_message_when_the_server_rejects_the_file(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "notes.png"
    path.write_text("this is not an image")
    page.locator("#upload").set_input_files(str(path))
    playwright_api.expect(page.locator("#error")).to_contain_text("refused the image")
    playwright_api.expect(page.locator("#error")).to_contain_text("not a recognisable image")


def test_page_fits_a_phone_and_is_keyboard_reachable(browser, live_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True)
    page = context.new_page()
    page.goto(live_server.url + "/")
    box = page.locator("#pad").bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 375
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    focused = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert {"pad", "clear", "upload"} <= set(focused)
    resources = page.evaluate("performance.getEntriesByType('resource').map(r => r.name)")
    assert all(url.startswith(live_server.url) for url in resources)  # nothing external
    context.close()


# Not digits: a five-pointed star and a spiral, drawn as one stroke each.
NOT_DIGITS: dict[str, list[Stroke]] = {
    "star": [
        [(0.5 + 0.35 * math.sin(k * 4 * math.pi / 5), 0.5 - 0.35 * math.cos(k * 4 * math.pi / 5)) for k in range(6)]
    ],
    "spiral": [
        [
            (0.5 + r * math.cos(t), 0.5 + r * math.sin(t))
            for t, r in zip(np.linspace(0, 6 * math.pi, 80), np.linspace(0.02, 0.4, 80), strict=True)
        ]
    ],
}


@pytest.mark.parametrize("drawing", sorted(NOT_DIGITS))
def test_a_drawing_that_is_not_a_digit_is_called_so(page, drawing: str) -> None:  # type: ignore[no-untyped-def]
    draw(page, NOT_DIGITS[drawing])
    playwright_api.expect(page.locator("#verdict")).to_have_text("That doesn't look like a digit.")
    playwright_api.expect(page.locator("#digit")).to_have_text("?")
    playwright_api.expect(page.locator("#seen")).to_be_visible()  # what the model saw, beside the answer
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"not-a-digit-{drawing}.png"))


def test_a_drawn_digit_shows_what_the_model_saw(page) -> None:  # type: ignore[no-untyped-def]
    draw(page, STROKES[7])
    playwright_api.expect(page.locator("#digit")).to_have_text("7")
    playwright_api.expect(page.locator("#verdict")).to_be_hidden()
    size = page.locator("#seen-image").evaluate("image => [image.naturalWidth, image.naturalHeight]")
    assert size == [28, 28]


def test_number_mode_reads_several_drawn_digits_and_boxes_them(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("a number").check()
    box = page.locator("#pad").bounding_box()
    assert box["width"] > 2.5 * box["height"]  # a wide pad for a line of digits
    written = [1, 7, 4]
    for place, digit in enumerate(written):  # each digit in its third of the pad, 3 wide as high
        draw(page, [[((place + 0.15 + 0.7 * x) / 3, y) for x, y in stroke] for stroke in STROKES[digit]])
    playwright_api.expect(page.locator("#digit")).to_have_text("".join(map(str, written)))
    playwright_api.expect(page.locator("#confidence")).to_contain_text("that all 3 digits are right")
    assert page.locator("#number-digits li").count() == 3
    boxed = page.evaluate(
        "() => { const c = document.getElementById('overlay');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    assert boxed > 0  # the boxes found, drawn over the pad
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "number-174.png"))
    page.get_by_role("button", name="Clear").click()
    assert page.locator("#number-digits li").count() == 0
