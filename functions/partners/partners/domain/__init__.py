"""Partner clients, keys, quotas, scopes and the feed's rules: no AWS, no HTTP."""
