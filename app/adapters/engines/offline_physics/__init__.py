"""The offline physics engine: problems with numbers (MRU, MRUA, free fall and vertical
throws, Newton's second law and weight, work, energy, power, Ohm's law, momentum),
explained step by step with every quantity converted to SI and its units carried
through, each value checked in its law and each unit by dimensional analysis."""

from __future__ import annotations

from .engine import OfflinePhysicsEngine

__all__ = ["OfflinePhysicsEngine"]
