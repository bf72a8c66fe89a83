"""Driving a sweep to its end: the running cap, polls for endings, next attempts, the live line."""
