"""Identity's adapters to systems outside its table: the identity provider and its saga."""
