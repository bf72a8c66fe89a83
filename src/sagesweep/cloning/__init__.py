"""Existing training jobs into a sweep file that makes the same requests again."""
