"""Audit's domain: the hash chain, free of AWS and HTTP."""
