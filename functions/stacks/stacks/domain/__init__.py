"""Stacks' domain: locations, capacity, arrangement, box status and environment rules, free of AWS and HTTP."""
