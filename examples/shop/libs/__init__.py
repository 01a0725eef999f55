"""In-house libraries used by several services."""
