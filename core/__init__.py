"""Shared by the worker and the API: settings, database models, repositories."""
