"""The web client against the real server, in Debian's headless Chromium.

Starts `python run.py` (development, SQLite, in-process Redis, fast pacing), opens the page
at `/` and asks seeded (cached) questions the way a student would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.adapters.engines.refusal import refusal_text
from tests.support.server import ServerProcess, base_env

from .conftest import CHROMIUM, NO_CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM),
]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
DOCS_IMG = ROOT / "docs" / "img"
STEP_TIMEOUT_MS = 20_000
DONE_TIMEOUT_MS = 60_000


def _seed_answers() -> list[dict]:
    data = json.loads((ROOT / "migrations" / "seed_data.json").read_text(encoding="utf-8"))
    return data["answers"]


def _spanish(code: str) -> str:
    """The sentence the client shows for an error code, read from its own module."""
    source = (ROOT / "app" / "static" / "js" / "i18n.js").read_text(encoding="utf-8")
    match = re.search(rf'\b{code}:\s*\n?\s*"([^"]+)"', source)
    assert match, code
    return match.group(1)


def _squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("web_client")
    env = base_env(
        APP_ENV="development",
        DATABASE_URL=f"sqlite:///{tmp}/t.db",
        REDIS_URL="memory://",
        STREAM_PACE="0.05",
        DEV_JWT_SECRET="test",
        RATE_LIMIT_QUESTIONS=None,
        RATE_LIMIT_CONNECTIONS=None,
        WEB_CLIENT_ENABLED=None,
    )
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, timeout=120)
    subprocess.run([*flask, "seed"], cwd=ROOT, env=env, check=True, timeout=120)
    server = ServerProcess(env, log_path=tmp / "server.log")
    try:
        yield server.wait_ready(timeout=60).url
    finally:
        server.stop()


class Student:
    """One browser context (one development user) on the page, with what it saw."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 860}, device_scale_factor=1
        )
        self.page = self.context.new_page()
        self.urls: list[str] = []
        self.page_errors: list[str] = []
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on("websocket", lambda ws: self.urls.append(ws.url))
        self.page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        self.page.on(
            "console",
            lambda m: m.type == "error" and self.page_errors.append(f"console: {m.text}"),
        )

    def open(self) -> int:
        self.page.goto(self.base + "/")
        # (selectors and locators, not wait_for_function: the page's CSP forbids eval)
        expect(self.page.locator("#credits")).to_have_text(
            re.compile(r"^\d+$"), timeout=STEP_TIMEOUT_MS
        )
        return self.credits()

    def credits(self) -> int:
        return int(self.page.locator("#credits").text_content())

    def ask(self, question: str) -> None:
        self.page.fill("#question", question)
        self.page.click("#ask")

    def wait_phase(self, phase: str, timeout: int = DONE_TIMEOUT_MS) -> None:
        self.page.wait_for_selector(f'#app[data-phase="{phase}"]', timeout=timeout)

    def wait_steps(self, count: int = 1) -> None:
        self.page.locator("#steps .step-title").nth(count - 1).wait_for(timeout=STEP_TIMEOUT_MS)

    def last_seq(self) -> int:
        return int(self.page.locator("#app").get_attribute("data-last-seq"))

    def titles(self) -> list[str]:
        return self.page.locator("#steps .step-title").all_text_contents()

    def ink_pixels(self) -> int:
        """Pixels of the board's backing store that are not paper white."""
        return self.page.evaluate("""() => { const c = document.getElementById('board');
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i+1] < 250 || d[i+2] < 250) n++;
              return n; }""")

    def assert_only_local(self) -> None:
        host = self.base.split("//", 1)[1]
        foreign = [u for u in self.urls if u.split("//", 1)[-1].split("/", 1)[0] != host]
        assert foreign == [], foreign
        assert self.page_errors == []

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def student(browser, live_server: str) -> Iterator[Student]:
    s = Student(browser, live_server)
    yield s
    s.close()


def _expected_after_last_clear(answer: dict) -> list[dict]:
    commands: list[dict] = []
    for step in answer["steps"]:
        for command in step["canvas_commands"]:
            commands = [] if command["op"] == "clear" else [*commands, command]
    return commands


def test_cached_question_streams_pauses_resumes_and_draws(student: Student) -> None:
    seed = _seed_answers()[0]
    answer = seed["answer"]
    before = student.open()

    student.ask(seed["question"])
    student.wait_steps(1)
    student.page.click("#pause")
    student.wait_phase("paused", timeout=STEP_TIMEOUT_MS)
    paused_at = student.last_seq()
    titles_paused = student.titles()
    time.sleep(1.0)
    assert student.last_seq() == paused_at  # nothing streams while paused
    assert student.titles() == titles_paused
    assert len(titles_paused) < len(answer["steps"])  # really paused mid-explanation

    student.page.click("#resume")
    student.wait_phase("complete")

    page = student.page
    assert page.locator("#asked").text_content() == seed["question"].strip()
    assert student.titles() == [s["title"] for s in answer["steps"]]
    bodies = page.locator("#steps .step-body")
    for i, step in enumerate(answer["steps"]):
        if step["type"] == "math":
            assert bodies.nth(i).locator(".katex").count() >= 1
            assert bodies.nth(i).locator(".katex-error").count() == 0
        else:
            assert _squash(bodies.nth(i).text_content()) == _squash(step["content"])

    drawn = _expected_after_last_clear(answer)
    assert student.ink_pixels() > 2000
    math_ops = [c for c in drawn if c["op"] == "math"]
    assert page.locator("#board-math .board-math").count() == len(math_ops)
    assert page.locator("#board-math .katex-error").count() == 0

    assert student.credits() == before - 1  # CREDITS_COST_CACHED
    assert page.locator("#error").is_hidden()
    student.assert_only_local()

    ARTIFACTS.mkdir(exist_ok=True)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.fonts.ready")
    page.screenshot(path=str(ARTIFACTS / "web_client.png"))
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":  # refresh the README's picture
        shutil.copyfile(ARTIFACTS / "web_client.png", DOCS_IMG / "web_client.png")


def test_reload_offers_to_resume_the_explanation(student: Student) -> None:
    seed = _seed_answers()[1]
    before = student.open()
    student.ask(seed["question"])
    student.wait_steps(1)

    student.page.reload()  # same tab: same session id, same development user
    offer = student.page.locator("#resume-offer")
    offer.wait_for(state="visible", timeout=STEP_TIMEOUT_MS)
    assert student.page.locator("#app").get_attribute("data-phase") == "paused"
    student.page.click("#offer-resume")
    student.wait_phase("complete")
    # nothing was on screen after the reload, so the client replayed it from the start
    assert student.titles() == [s["title"] for s in seed["answer"]["steps"]]
    assert student.ink_pixels() > 1000
    assert student.credits() == before - 1  # charged once
    student.assert_only_local()


def test_stop_ends_the_stream(student: Student) -> None:
    seed = _seed_answers()[2]
    student.open()
    student.ask(seed["question"])
    student.wait_steps(1)
    student.page.click("#stop")
    student.wait_phase("stopped", timeout=STEP_TIMEOUT_MS)
    stopped_at = student.last_seq()
    time.sleep(0.8)
    assert student.last_seq() == stopped_at
    assert len(student.titles()) < len(seed["answer"]["steps"])
    assert student.page.locator("#resume").is_disabled()
    # nothing is left looking as if it were still arriving, or finished when it was cut
    assert student.page.locator("#steps .step.streaming").count() == 0
    shown = student.page.locator("#steps .step").count()
    finished = student.page.locator("#steps .step.done").count()
    assert student.page.locator("#steps .step.cut").count() == shown - finished


def test_errors_are_shown_in_spanish(student: Student) -> None:
    before = student.open()
    student.page.click("#ask")  # empty question, refused before sending
    assert student.page.locator("#error-text").text_content() == _spanish("question_empty")

    question = "¿Quién escribió el Quijote de la Mancha?"  # not math, not cached, no OpenAI
    student.ask(question)
    student.page.wait_for_selector(
        '#app[data-phase="idle"] #error:not([hidden])', timeout=STEP_TIMEOUT_MS
    )
    # the server's refusal, naming what the offline tutor solves, with two examples
    assert student.page.locator("#error-text").text_content() == refusal_text(question)
    time.sleep(0.5)
    assert student.credits() == before  # a failed request charges nothing
    student.assert_only_local()


def test_voice_question_from_the_microphone(student: Student) -> None:
    seed = _seed_answers()[3]
    before = student.open()
    assert student.page.locator("#mic").is_enabled()
    # development servers take the typed text as the transcript of the recorded clip
    student.page.fill("#question", seed["question"])
    student.page.click("#mic")
    student.page.wait_for_selector('#mic[aria-pressed="true"]')
    time.sleep(2.2)  # two 1 s chunks of Chromium's fake microphone
    student.page.click("#mic")
    student.wait_phase("complete")
    assert student.titles() == [s["title"] for s in seed["answer"]["steps"]]
    assert student.credits() == before - 2  # cached question + voice
    student.assert_only_local()
