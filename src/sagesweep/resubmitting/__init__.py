"""Running failed jobs again as their next attempt: choosing them, and the attempt requests."""
