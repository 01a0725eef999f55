"""The project model: layout, per-file facts, the cached index and resolution."""
