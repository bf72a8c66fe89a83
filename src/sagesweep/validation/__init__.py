"""Checking a CreateTrainingJob request against botocore's service model (and the rules
the service adds), for the planner before anything is sent and for the mock, which
refuses what the service refuses. It stands below both: it imports only redaction."""
