"""What chooses jobs: the adaptive search (TPE) and its study."""
