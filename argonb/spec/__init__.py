"""Argo YAML -> plain data with positions, validation and diagnostics. No threads, no I/O beyond reading files."""
