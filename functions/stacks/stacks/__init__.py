"""Stacks (서고배치 + 보존환경): where every box lives, how full every shelf is, and the storage environment."""
