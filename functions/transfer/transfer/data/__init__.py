"""The transfer table and the packages bucket: item types, keys, reads and conditional writes."""
