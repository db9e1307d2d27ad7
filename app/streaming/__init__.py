"""The live streamer: paced, pausable, resumable sending of explanation events.

A `LiveStream` knows its plan and position and sends due events through a
`Transport`; one `Scheduler` per process wakes every stream at its next deadline.
A stream never writes a row or ends an interaction: it reports what happened to
its `StreamSink` (the interaction owner, `app/use_cases/interactions.py`).
"""
