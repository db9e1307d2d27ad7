"""What every offline engine shares: the step drafts a solver writes, the board layout
that turns them into canvas commands, the forked time budget and the engine that ties
recognition, solving and layout together.

The domains (offline_math, offline_physics, offline_chemistry) only recognize their
questions and write drafts; nothing here knows about any subject.
"""
