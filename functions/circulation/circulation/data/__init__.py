"""Circulation's table: the only code that reads or writes it."""
