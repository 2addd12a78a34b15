"""Root pytest configuration: doctests run over ``kg/``, except the entry point that runs the CLI."""

collect_ignore_glob = ["kg/cli/__main__.py", "bench/*", ".venv/*"]
