"""Operating a launched sweep: seeing where its jobs stand, their results, and stopping
them. Each reads the sweep's jobs from its ledger and asks AWS at a bounded cost."""
