"""Keep LaTeX intact when a language model writes it inside JSON strings.

Models often write `\\frac` with one backslash inside a JSON string. That is still
valid JSON, but it decodes to a form feed followed by `rac`; `\\beta`, `\\theta`,
`\\nabla` and `\\right` suffer the same fate (`\\b`, `\\t`, `\\n`, `\\r`). Other
commands (`\\sqrt`, `\\alpha`, `\\cdot`) are invalid JSON escapes and break the whole
document. Two small steps repair both, without touching properly escaped text:

- `fix_invalid_escapes(raw)` runs on the raw JSON text before decoding and doubles
  every backslash that does not start a valid JSON escape;
- `repair_latex_escapes(text)` runs on decoded strings and turns the control
  characters back into the backslash commands they came from.
"""

from __future__ import annotations

import re
from typing import Any

# A valid JSON escape (kept as is) or a lone backslash (doubled).
_RAW_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|["\\/bfnrtu])?')

# LaTeX commands whose name starts with a letter that is also a JSON escape.
_T_COMMANDS = frozenset(
    [
        "t",
        "tau",
        "theta",
        "times",
        "tan",
        "tanh",
        "text",
        "textbf",
        "textit",
        "textrm",
        "texttt",
        "textsf",
        "textstyle",
        "tfrac",
        "tilde",
        "to",
        "top",
        "triangle",
        "triangleq",
        "triangleleft",
        "triangleright",
        "therefore",
        "tiny",
        "tt",
        "tbinom",
        "thinspace",
        "thicksim",
    ]
)
_N_COMMANDS = frozenset(
    [
        "nabla",
        "nu",
        "neq",
        "ne",
        "neg",
        "ni",
        "not",
        "notin",
        "nleq",
        "ngeq",
        "nless",
        "ngtr",
        "nmid",
        "newline",
        "nolimits",
        "nexists",
        "nsubseteq",
        "nsupseteq",
        "nparallel",
        "natural",
        "nearrow",
        "nwarrow",
        "normalsize",
        "nleftarrow",
        "nrightarrow",
        "nsim",
        "ncong",
        "napprox",
        "nequiv",
    ]
)
_R_COMMANDS = frozenset(
    [
        "right",
        "rho",
        "rangle",
        "rightarrow",
        "rightleftharpoons",
        "rfloor",
        "rceil",
        "rbrace",
        "rbrack",
        "rvert",
        "rVert",
        "rm",
        "rtimes",
        "rightharpoonup",
        "rightharpoondown",
        "rightrightarrows",
    ]
)
_KNOWN = {"\t": ("t", _T_COMMANDS), "\n": ("n", _N_COMMANDS), "\r": ("r", _R_COMMANDS)}

# A control character and the letters that follow it (a LaTeX command name).
_CONTROL_RUN = re.compile(r"([\x08\x0c\t\n\r])([A-Za-z]*)")
_INLINE_MATH = re.compile(r"(\$\$?)(.+?)\1|\\\((.+?)\\\)", re.DOTALL)
_ENV_LINE_BREAK = re.compile(r"(?<!\\)\\(?=\s)")


def fix_invalid_escapes(raw: str) -> str:
    """Double every backslash in raw JSON text that does not begin a valid escape.

    `\\sqrt` (invalid JSON) becomes `\\\\sqrt` (a decoded backslash plus `sqrt`);
    `\\\\frac`, `\\"` and `\\u00e9` are left alone. `\\u` without four hex digits is
    a LaTeX command such as `\\underline` and is doubled too.
    """
    if "\\" not in raw:
        return raw
    return _RAW_ESCAPE.sub(
        lambda m: m.group(0) if m.group(1) and m.group(1) != "u" else "\\\\" + (m.group(1) or ""),
        raw,
    )


def _restore(match: re.Match[str], math: bool) -> str:
    control, letters = match.group(1), match.group(2)
    if control == "\x0c":  # a form feed never belongs in an explanation
        return "\\f" + letters
    if control == "\x08":  # nor does a backspace
        return "\\b" + letters
    if control == "\t" and math and letters:
        return "\\t" + letters
    if control in _KNOWN and (control == "\t" or math):
        prefix, known = _KNOWN[control]
        if letters and prefix + letters in known:
            return "\\" + prefix + letters
    return match.group(0)


def _repair_math(text: str) -> str:
    text = _CONTROL_RUN.sub(lambda m: _restore(m, True), text)
    if "\\begin{" in text:
        # Inside matrices a lone `\` before a space is a `\\` row break that lost a
        # backslash to JSON decoding.
        text = _ENV_LINE_BREAK.sub(r"\\\\", text)
    return text


def repair_latex_escapes(text: str, *, math: bool = True) -> str:
    """Restore LaTeX commands that JSON decoding turned into control characters.

    `math=True` (math step content, canvas `latex`) also restores `\\n...` and
    `\\r...` commands (`\\nabla`, `\\right`) and any tab followed by letters; plain
    text keeps its newlines and tabs except inside `$...$` or `\\(...\\)`.
    Properly escaped input (no control characters) comes back unchanged.
    """
    if not isinstance(text, str):
        return text
    if math:
        return _repair_math(text)
    text = _CONTROL_RUN.sub(lambda m: _restore(m, False), text)
    if "$" in text or "\\(" in text:
        text = _INLINE_MATH.sub(lambda m: _repair_math(m.group(0)), text)
    return text


def repair_step_latex(step: dict[str, Any]) -> dict[str, Any]:
    """Apply `repair_latex_escapes` to every string of one decoded step, in place."""
    if isinstance(step.get("title"), str):
        step["title"] = repair_latex_escapes(step["title"], math=False)
    if isinstance(step.get("content"), str):
        step["content"] = repair_latex_escapes(step["content"], math=step.get("type") == "math")
    commands = step.get("canvas_commands")
    if isinstance(commands, list):
        for cmd in commands:
            if not isinstance(cmd, dict):
                continue
            if isinstance(cmd.get("latex"), str):
                cmd["latex"] = repair_latex_escapes(cmd["latex"], math=True)
            if isinstance(cmd.get("text"), str):
                cmd["text"] = repair_latex_escapes(cmd["text"], math=False)
    return step
