"""Load and scale measurements; each module runs as `python -m benchmarks.<name>`."""
