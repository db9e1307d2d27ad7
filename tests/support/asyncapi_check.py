"""Validate real payloads against the message schemas of docs/asyncapi.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


@cache
def load_doc() -> dict[str, Any]:
    return dict(yaml.safe_load(DOC_PATH.read_text(encoding="utf-8")))


@cache
def validator(message: str) -> Draft202012Validator:
    """A validator for one message's payload; refs resolve inside the whole document."""
    return Draft202012Validator({**load_doc(), "$ref": f"#/components/messages/{message}/payload"})


def message_for(name: str) -> str:
    """`ack:<event>` → `<event>Ack`; `sent:<event>` → `<event>`; events as they are."""
    if name.startswith("sent:"):
        return name[5:]
    if name.startswith("ack:"):
        event = name[4:]
        known = f"{event}Ack" in load_doc()["components"]["messages"]
        return f"{event}Ack" if known else "ask_questionAck"  # failed acks share one shape
    return name


def validate_items(items: Iterable[tuple[str, Any]]) -> tuple[set[str], list[str]]:
    """(messages seen, problems) for (name, payload) pairs."""
    messages = load_doc()["components"]["messages"]
    seen: set[str] = set()
    problems: list[str] = []
    for name, data in items:
        message = message_for(name)
        if message not in messages:
            problems.append(f"no message in the document for {name}")
            continue
        seen.add(message)
        for error in validator(message).iter_errors(data):
            problems.append(f"{name}: {error.message} at {list(error.absolute_path)} in {data}")
    return seen, problems
