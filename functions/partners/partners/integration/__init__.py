"""Other systems partners talks to."""
