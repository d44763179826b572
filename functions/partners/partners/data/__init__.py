"""The partners table: item types and keys (tables), transactions (tx), and one module per kind of record."""
