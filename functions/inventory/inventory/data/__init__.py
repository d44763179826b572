"""Inventory's table: campaigns, sessions, scans, results, findings, cycles and the holdings read model."""
