"""sqlmap sweep (issue 6): placeholder, being written."""
