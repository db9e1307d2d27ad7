"""The offline math engine: computable math (arithmetic and percentages, equations and
systems, word problems, functions, geometry, trigonometry, derivatives, integrals,
limits, simplify/factor/expand) explained step by step with SymPy, in Spanish, with
the work written on the canvas.

It is the embedded default engine and the first choice for math in `auto` mode: free,
instant and exact. Anything else raises CannotAnswer so the next engine can try.
"""

from __future__ import annotations

from .engine import OfflineMathEngine, can_answer

__all__ = ["OfflineMathEngine", "can_answer"]
