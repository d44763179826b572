"""The disposal table: item types, keys and the reads and conditional writes of each area."""
