"""The offline answer engine: computable math (equations, systems, derivatives,
integrals, limits, simplify/factor/expand, arithmetic) explained step by step
with SymPy, in Spanish, with the work written on the canvas.

It is the embedded default engine and the first choice for math in `auto`
mode: free, instant and exact. Anything else raises CannotAnswer so the next
engine can try.
"""

from __future__ import annotations

from .engine import OfflineMathEngine, build_explanation, can_answer

__all__ = ["OfflineMathEngine", "build_explanation", "can_answer"]
