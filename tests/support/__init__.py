"""Helpers shared by the tests: an SMTP sink, sample pilots, a region built over HTTP."""
