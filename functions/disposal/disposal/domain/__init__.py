"""Disposal's domain: plain rules and entities, no HTTP, AWS or persistence."""
