"""Isolation matrix (issue 6): placeholder, being written."""
