"""Front ends: the command line and the flake8 plugin."""
