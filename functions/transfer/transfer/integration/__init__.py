"""Transfer's calls to other systems (Step Functions)."""
