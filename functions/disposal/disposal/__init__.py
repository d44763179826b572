"""Disposal (폐기): holds, review lists and the three-step appraisal of record files (see README)."""
