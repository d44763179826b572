"""Outbox relay: capability tables' streams → the EventBridge bus."""
