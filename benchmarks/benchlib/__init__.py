"""Shared pieces of the benchmark suite: endpoints, contenders, measurement, report."""
