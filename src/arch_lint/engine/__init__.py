"""The engine: select rules per path, run them, noqa, (later) fix."""
