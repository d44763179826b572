"""Circulation's domain: requests, their lifecycle, policies, the queue, overdue and the register; no AWS."""
