"""Circulation's adapters to systems outside its table: its two sagas (Step Functions)."""
