"""Records' table: its binding (tables), transactions (tx) and the access modules named after what they keep."""
