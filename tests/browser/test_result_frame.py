"""The framed result of an offline answer, in the real browser: the highlight box and
its border surround the typeset formula (KaTeX) on every side, with a small margin."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app.adapters.engines.base import CannotAnswer, GenerationContext, GenerationResult
from app.adapters.engines.offline import offline_engines
from app.blueprints.web import register_web
from app.config import load_settings
from tests.support.exam_check import load_items

from .conftest import CHROMIUM, NO_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM),
]

SAMPLE = [
    "resuelve 2x + 3 = 7",
    "cuanto es 3/4 + 5/6",
    "resuelve sin(x) = 1/2",
    "cual es el area de un circulo de radio 5 cm",
    "integral de 0 a 1 de x^2",
    "balancea C3H8 + O2 -> CO2 + H2O",
    "que fuerza se necesita para acelerar un objeto de 10 kg a 2 m/s^2",
    "la edad de juan es el doble de la de pedro y entre los dos suman 36 años",
    "cual es el dominio de f(x) = 1/(x-2)",
    "deriva x^2 sin(x)",
]
MARGIN = 2  # board units the formula may touch the frame by (anti-aliasing)

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/assets/vendor/katex/katex.min.css">
<link rel="stylesheet" href="/assets/css/app.css">
<script defer src="/assets/vendor/katex/katex.min.js"></script>
<style>body{margin:0} .board{width:1280px}</style>
</head><body><div id="app">
<div class="board"><canvas id="board"></canvas><div id="board-math" class="board-math-layer"></div></div>
</div>
<script type="module">
import { Whiteboard } from "/assets/js/whiteboard.js";
window.addEventListener("load", () => {
  const board = new Whiteboard(document.getElementById("board"), document.getElementById("board-math"));
  window.show = (commands) => { board.reset(); for (const c of commands) board.apply(c); };
  window.ready = true;
});
</script></body></html>"""


@pytest.fixture(scope="module")
def page(browser) -> Iterator[object]:
    settings = load_settings(APP_ENV="development", DEV_JWT_SECRET="x" * 32)
    app = Flask("frame_test")
    register_web(app, settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    context = browser.new_context(viewport={"width": 1300, "height": 800}, device_scale_factor=1)
    tab = context.new_page()
    tab.route(f"{base}/frame-test", lambda r: r.fulfill(body=PAGE, content_type="text/html"))
    tab.goto(f"{base}/frame-test")
    tab.wait_for_function("window.ready === true")
    yield tab
    context.close()
    server.shutdown()


ENGINES = offline_engines()
for _engine in ENGINES:
    _engine.isolate = False  # the same answers, computed faster for this layout check


def _final_commands(question: str) -> list[dict] | None:
    for engine in ENGINES:
        if engine.can_answer(question):
            try:
                steps = list(engine.generate(question, GenerationContext(), GenerationResult()))
            except CannotAnswer:
                continue
            return [c for c in steps[-1].canvas_commands if c["op"] != "clear"]
    return None


def _check_frame(page, commands: list[dict]) -> None:
    frame = next(c for c in commands if c["op"] == "rect" and c.get("color") == "#16a34a")
    highlight = next(c for c in commands if c["op"] == "highlight")
    assert {k: highlight[k] for k in "xywh"} == {k: frame[k] for k in "xywh"}
    box = page.evaluate(
        """async (commands) => { window.show(commands); await document.fonts.ready;
          const board = document.getElementById('board').getBoundingClientRect();
          const r = document.querySelector('#board-math .board-math .katex').getBoundingClientRect();
          const k = 1280 / board.width;
          return {x: (r.left - board.left) * k, y: (r.top - board.top) * k,
                  w: r.width * k, h: r.height * k}; }""",
        commands,
    )
    shown = json.dumps({"formula": {k: round(v) for k, v in box.items()}, "frame": frame})
    assert frame["x"] <= box["x"] + MARGIN and frame["y"] <= box["y"] + MARGIN, shown
    assert box["x"] + box["w"] <= frame["x"] + frame["w"] + MARGIN, shown
    assert box["y"] + box["h"] <= frame["y"] + frame["h"] + MARGIN, shown
    # and it hugs the formula: no more than a padding's worth of empty band on each side
    assert frame["w"] <= box["w"] * 1.3 + 40 and frame["h"] <= box["h"] + 40, shown


@pytest.mark.parametrize("question", SAMPLE)
def test_the_frame_surrounds_the_typeset_result(page, question: str) -> None:
    commands = _final_commands(question)
    assert commands is not None
    _check_frame(page, commands)


def test_every_result_of_the_exam_set_is_framed(page) -> None:
    checked = 0
    for item in load_items():
        commands = _final_commands(item.question) if item.computable else None
        if commands:
            _check_frame(page, commands)
            checked += 1
    assert checked >= 100
