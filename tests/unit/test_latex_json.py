"""LaTeX written inside JSON strings survives decoding, both model-style and escaped."""

from __future__ import annotations

import json

import jiter
import pytest

from app.utils.latex_json import fix_invalid_escapes, repair_latex_escapes, repair_step_latex

LATEX = [
    r"\frac{a}{b}",
    r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}",
    r"\theta = \tan^{-1}(y/x)",
    r"\nabla \cdot \vec{E} = \frac{\rho}{\varepsilon_0}",
    r"\beta + \alpha = \pi",
    r"\left( x + 1 \right)^2",
    r"\sqrt{2} \times \nu \neq \tau",
    r"\underline{x} \uparrow \rightarrow \int_0^1 f",
]


def decode_model_style(latex: str) -> str:
    """What a careless model's `"\\frac..."` (one backslash) decodes to."""
    raw = '{"c": "' + latex.replace("\\\\", "\\") + '"}'
    return jiter.from_json(fix_invalid_escapes(raw).encode())["c"]


def decode_escaped(latex: str) -> str:
    raw = json.dumps({"c": latex})
    return jiter.from_json(fix_invalid_escapes(raw).encode())["c"]


@pytest.mark.parametrize("latex", LATEX)
def test_model_style_single_backslashes_survive(latex: str) -> None:
    decoded = decode_model_style(latex)
    assert repair_latex_escapes(decoded) == latex


@pytest.mark.parametrize("latex", LATEX)
def test_properly_escaped_latex_is_unchanged(latex: str) -> None:
    decoded = decode_escaped(latex)
    assert decoded == latex
    assert repair_latex_escapes(decoded) == latex


def test_form_feed_is_what_plain_json_gives() -> None:
    assert json.loads('"\\frac"') == "\x0crac"
    assert repair_latex_escapes("\x0crac{1}{2}") == r"\frac{1}{2}"
    assert repair_latex_escapes("\x08eta") == r"\beta"
    assert repair_latex_escapes("\theta") == r"\theta"
    assert repair_latex_escapes("\nabla f") == r"\nabla f"
    assert repair_latex_escapes("\right)") == r"\right)"


def test_invalid_escapes_are_doubled_valid_ones_kept() -> None:
    assert fix_invalid_escapes(r'"\sqrt{2}"') == r'"\\sqrt{2}"'
    assert fix_invalid_escapes(r'"\\sqrt{2}"') == r'"\\sqrt{2}"'
    assert fix_invalid_escapes(r'"a\"b \u00e9 \/"') == r'"a\"b \u00e9 \/"'
    assert fix_invalid_escapes(r'"\underline{x}"') == r'"\\underline{x}"'
    assert fix_invalid_escapes('"no backslash"') == '"no backslash"'


def test_plain_text_keeps_real_newlines_and_tabs() -> None:
    text = "Primero restamos.\nNuevo paso:\tsumamos\nuevamente"
    assert repair_latex_escapes(text, math=False) == text


def test_math_content_keeps_newlines_that_are_not_commands() -> None:
    assert repair_latex_escapes("x = 2\ny = 3") == "x = 2\ny = 3"


def test_inline_math_inside_text_is_repaired() -> None:
    text = "El gradiente $\nabla f$ apunta\nhacia arriba"
    assert repair_latex_escapes(text, math=False) == "El gradiente $\\nabla f$ apunta\nhacia arriba"


def test_step_strings_are_repaired_by_kind() -> None:
    step = {
        "title": "Paso\tuno",
        "type": "math",
        "content": "\x0crac{1}{2} \nu",
        "canvas_commands": [
            {"op": "math", "latex": "\theta"},
            {"op": "text", "text": "línea\nueva"},
        ],
    }
    repaired = repair_step_latex(step)
    assert repaired["title"] == "Paso\tuno"
    assert repaired["content"] == r"\frac{1}{2} \nu"
    assert repaired["canvas_commands"][0]["latex"] == r"\theta"
    assert repaired["canvas_commands"][1]["text"] == "línea\nueva"
