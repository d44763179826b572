"""Stacks' table: the only code that reads or writes it."""
