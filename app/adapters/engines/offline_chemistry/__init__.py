"""The offline chemistry engine: molar mass atom by atom, grams, moles and particles,
molarity, percent composition, and balancing equations by linear algebra over the
element counts; every result checked (atoms conserved, conversions reversed)."""

from __future__ import annotations

from .engine import OfflineChemistryEngine

__all__ = ["OfflineChemistryEngine"]
