"""Gaps: how many entities of each workflow reached extracted but not core, kept per check,
with the alerts they open and their repair through a coalescing job."""
