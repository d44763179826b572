"""The whole system on one machine, provisioned from template.yaml (`make run`).

Kept import-free: every function worker imports this package to reach its runtime.
"""
