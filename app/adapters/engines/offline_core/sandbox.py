"""Run a CPU-bound computation with a hard time limit.

SymPy calls cannot be interrupted from another thread, and a crafted question
could make one run for minutes. On POSIX the work runs in a forked child that
is killed at the deadline; the parent only waits on a pipe, so a runaway
computation costs the server nothing after the budget.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any


class BudgetExceeded(RuntimeError):
    """The computation did not finish within its time budget."""


class ChildFailed(RuntimeError):
    """The computation raised in the child; `kind` is the exception's class name."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def _child(conn: Any, func: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", func(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, never raised here
        conn.send(("error", (type(exc).__name__, str(exc)[:300])))
    finally:
        conn.close()


def fork_available() -> bool:
    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()


def run_with_budget(func: Callable[..., Any], args: tuple[Any, ...], budget_s: float) -> Any:
    """Return func(*args), computed in a child process killed after budget_s seconds.

    The result must be picklable. Exceptions in the child come back as ChildFailed.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(sender, func, args), daemon=True)
    process.start()
    sender.close()
    deadline = time.monotonic() + budget_s
    try:
        if not receiver.poll(max(0.0, deadline - time.monotonic())):
            raise BudgetExceeded(f"no result within {budget_s:.2f} s")
        try:
            status, payload = receiver.recv()
        except EOFError as exc:
            raise ChildFailed("EOFError", "the worker exited without a result") from exc
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(timeout=1)
    if status == "error":
        raise ChildFailed(*payload)
    return payload
