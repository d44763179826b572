"""Transfer's rules and entities: no AWS, no HTTP."""
