"""Command-line entry points: the pilotflow command and its helpers."""
