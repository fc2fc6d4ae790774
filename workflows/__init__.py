"""Deterministic workflow code: contracts, the stage machine, PilotWorkflow, the worker."""
