"""Audit: every entity's event history as a tamper-evident hash chain (MoReq2010 System service)."""
