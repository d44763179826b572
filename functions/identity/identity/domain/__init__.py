"""Identity's domain: entities and rules, free of AWS and HTTP."""
