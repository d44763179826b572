"""Records' rules and entities: no AWS, no HTTP."""
