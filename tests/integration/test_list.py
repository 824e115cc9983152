"""List and get (issue 3): filled in by the list test suite."""
