"""Operator scripts: run by hand against a deployed stack (never deployed themselves)."""
