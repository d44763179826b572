"""Classification's rules: pure Python, no HTTP, no AWS, no persistence."""
