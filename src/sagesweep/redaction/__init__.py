"""Credential detectors and masking: every layer uses them, so they sit at the bottom."""
