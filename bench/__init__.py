"""Benchmarks: cold starts, DynamoDB calls per operation, cost growth, gateway overhead.

Run with `make bench` (or `.venv/bin/python bench/run.py --quick`). Every figure is
compared with a baseline measured in the same run; nothing here asserts a speed.
"""
