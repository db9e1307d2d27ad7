"""Use cases: plain functions (and one owner of live interactions) of typed commands
and units of work. They know nothing of Flask or Socket.IO."""
