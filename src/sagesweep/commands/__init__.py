"""The Python API, one module per command: each builds its parts and runs the stages."""
