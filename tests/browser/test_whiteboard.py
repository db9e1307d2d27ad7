"""The whiteboard renderer and step list in a real browser, from fixed canvas commands.

Runs without the realtime server: a bare Flask app serves the client's assets and a test
page imports the modules directly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app.blueprints.web import register_web
from app.config import load_settings

from .conftest import CHROMIUM, NO_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

# One command of every op in the protocol's Canvas table, after a leading clear.
COMMANDS = [
    {"op": "text", "x": 500, "y": 500, "text": "se borra"},
    {"op": "clear"},
    {"op": "text", "x": 60, "y": 60, "text": "Pizarrón de prueba", "size": 48, "color": "#1e88e5"},
    {"op": "math", "x": 700, "y": 120, "latex": "\\frac{a}{b} = \\sqrt{x^2}", "size": 56},
    {"op": "line", "x1": 60, "y1": 200, "x2": 600, "y2": 200, "color": "#00aa00", "width": 10},
    {"op": "arrow", "x1": 60, "y1": 300, "x2": 600, "y2": 300, "color": "#aa00aa", "width": 6},
    {"op": "rect", "x": 100, "y": 400, "w": 200, "h": 150, "color": "#000000", "fill": "#ff0000"},
    {"op": "circle", "x": 500, "y": 480, "r": 80, "fill": "#0000ff"},
    {"op": "path", "points": [[700, 400], [800, 600], [900, 400]], "color": "#ff8800", "width": 12},
    {"op": "rect", "x": 1000, "y": 400, "w": 200, "h": 200, "fill": "#ffffff"},
    {"op": "highlight", "x": 1000, "y": 400, "w": 200, "h": 200, "color": "#ffff00"},
]

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/assets/vendor/katex/katex.min.css">
<link rel="stylesheet" href="/assets/css/app.css">
<script defer src="/assets/vendor/katex/katex.min.js"></script>
<style>body{margin:0} .board{width:640px}</style>
</head><body><div id="app">
<div class="board"><canvas id="board"></canvas><div id="board-math" class="board-math-layer"></div></div>
<ol id="steps"></ol></div>
<script type="module">
import { Whiteboard } from "/assets/js/whiteboard.js";
import { StepList } from "/assets/js/steps.js";
window.addEventListener("load", () => {
  const board = new Whiteboard(document.getElementById("board"), document.getElementById("board-math"));
  const steps = new StepList(document.getElementById("steps"));
  for (const c of COMMANDS) board.apply(c);
  steps.start({step_index: 0, title: "Paso <b>uno</b>", type: "text"});
  ["Hola ", "<i>mundo</i>", " final"].forEach((text, i) => steps.chunk({step_index: 0, chunk_index: i, text}));
  steps.chunk({step_index: 0, chunk_index: 1, text: "REPETIDO"});
  steps.complete({step_index: 0});
  steps.start({step_index: 1, title: "Fórmula", type: "math"});
  steps.chunk({step_index: 1, chunk_index: 0, text: "\\\\frac{1"});
  window.partialMath = document.querySelector('[data-step-index="1"] .step-body').textContent;
  steps.chunk({step_index: 1, chunk_index: 1, text: "}{2} + x"});
  steps.complete({step_index: 1});
  window.board = board; window.steps = steps; window.ready = true;
});
</script></body></html>"""


@pytest.fixture(scope="module")
def asset_server() -> Iterator[str]:
    settings = load_settings(APP_ENV="development", DEV_JWT_SECRET="x" * 32)
    app = Flask("board_test")
    register_web(app, settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _pixel(page, x: float, y: float) -> list[int]:
    """RGBA of the backing store at board coordinates (x, y)."""
    return page.evaluate(
        """([x, y]) => {
          const c = document.getElementById('board');
          const px = Math.floor(x * c.width / 1280), py = Math.floor(y * c.height / 720);
          return Array.from(c.getContext('2d').getImageData(px, py, 1, 1).data);
        }""",
        [x, y],
    )


def _near(rgba: list[int], rgb: tuple[int, int, int], tol: int = 40) -> bool:
    """Colour match allowing for anti-aliasing at small scales."""
    return all(abs(a - b) <= tol for a, b in zip(rgba[:3], rgb, strict=True))


def _open(browser, base: str, scale: float):
    context = browser.new_context(viewport={"width": 900, "height": 700}, device_scale_factor=scale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    html = PAGE.replace("COMMANDS", json.dumps(COMMANDS))
    page.route(
        f"{base}/board-test",
        lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"),
    )
    page.goto(f"{base}/board-test")
    page.wait_for_function("window.ready === true")
    page.evaluate("document.fonts.ready")
    return context, page, errors


@pytest.mark.parametrize("scale", [1, 2])
def test_every_canvas_op_is_drawn(browser, asset_server: str, scale: float) -> None:
    context, page, errors = _open(browser, asset_server, scale)
    try:
        size = page.evaluate(
            "(() => { const c = document.getElementById('board'); const r = c.getBoundingClientRect();"
            " return [c.width, c.height, r.width, r.height]; })()"
        )
        # backing store = CSS size x devicePixelRatio, at the board's 16:9
        assert size[0] == round(size[2] * scale) and size[1] == round(size[3] * scale)
        assert size[2] == 640 and abs(size[3] - 360) < 1

        assert _pixel(page, 200, 475)[:3] == [255, 0, 0]  # rect fill
        assert _near(_pixel(page, 100, 475), (0, 0, 0), 80)  # rect stroke
        assert _pixel(page, 500, 480)[:3] == [0, 0, 255]  # circle fill
        assert _near(_pixel(page, 330, 200), (0, 170, 0))  # line
        assert _near(_pixel(page, 330, 300), (170, 0, 170))  # arrow shaft
        assert _near(_pixel(page, 590, 300), (170, 0, 170))  # arrow head near its tip
        assert _near(_pixel(page, 800, 596), (255, 136, 0))  # the path's middle vertex
        r, g, b, _ = _pixel(page, 1100, 500)  # highlight over white: yellow, not white
        assert r > 240 and g > 240 and b < 150
        assert _pixel(page, 1250, 700)[:3] == [255, 255, 255]  # untouched paper
        # text: ink of the title's colour somewhere in its box; the cleared text is gone
        assert page.evaluate(
            """() => { const c = document.getElementById('board'); const k = c.width / 1280;
              const d = c.getContext('2d').getImageData(60*k, 36*k, 400*k, 48*k).data;
              for (let i = 0; i < d.length; i += 4) if (d[i] < 120 && d[i+2] > 180) return true;
              return false; }"""
        )
        assert _pixel(page, 510, 500)[:3] != [0, 0, 0]

        # math is typeset by KaTeX over the board, at the command's position
        math = page.locator("#board-math .board-math")
        assert math.count() == 1
        assert math.locator(".katex .mfrac").count() == 1
        assert math.locator(".katex-error").count() == 0
        box, board = math.bounding_box(), page.locator("#board").bounding_box()
        assert abs(box["x"] - board["x"] - 700 / 1280 * board["width"]) < 2
        assert abs(box["y"] + box["height"] / 2 - board["y"] - 120 / 720 * board["height"]) < 3

        # steps: server text stays text, chunks append in order, repeats are ignored
        assert page.locator(".step-title").all_text_contents() == ["Paso <b>uno</b>", "Fórmula"]
        first = page.locator('[data-step-index="0"] .step-body')
        assert first.text_content() == "Hola <i>mundo</i> final"
        assert page.locator("#steps b, #steps i").count() == 0
        assert page.evaluate("window.partialMath") == "\\frac{1"  # unparsable prefix as text
        assert page.locator('[data-step-index="1"] .katex .mfrac').count() == 1

        # resizing keeps the drawing (redrawn from the display list at the new size)
        page.evaluate("document.querySelector('.board').style.width = '960px'")
        page.wait_for_function(
            f"document.getElementById('board').width === Math.round(960 * {scale})"
        )
        assert _pixel(page, 200, 475)[:3] == [255, 0, 0]

        ARTIFACTS.mkdir(exist_ok=True)
        page.locator(".board").screenshot(path=str(ARTIFACTS / f"whiteboard_x{scale}.png"))

        page.evaluate("window.board.apply({op: 'clear'})")
        assert _pixel(page, 200, 475)[:3] == [255, 255, 255]
        assert page.locator("#board-math > *").count() == 0
        assert errors == []
    finally:
        context.close()


def test_a_step_cut_by_stop_is_marked_unfinished(browser, asset_server: str) -> None:
    context, page, errors = _open(browser, asset_server, 1)
    try:
        page.evaluate("""() => { const s = window.steps;
              s.start({step_index: 2, title: "Derivamos", type: "math"});
              s.chunk({step_index: 2, chunk_index: 0, text: "f(x) = x^{3} + 2"});
              s.interrupt(); }""")
        cut = page.locator('[data-step-index="2"]')
        # the half-streamed formula parses, but the step says it is not finished
        assert cut.locator(".katex").count() == 1
        assert "cut" in cut.get_attribute("class") and "streaming" not in cut.get_attribute("class")
        assert cut.locator(".step-cut").text_content() == (
            "Paso incompleto: la explicación se detuvo aquí."
        )
        # finished steps are left as they are
        done = page.locator('[data-step-index="1"]')
        assert "done" in done.get_attribute("class") and done.locator(".step-cut").count() == 0
        assert errors == []
    finally:
        context.close()
