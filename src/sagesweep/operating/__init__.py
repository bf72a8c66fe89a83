"""Operating a launched sweep: seeing it, stopping it, collecting its results and
re-running what failed. Each of those reads the sweep's jobs from its ledger."""
