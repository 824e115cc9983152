#!/usr/bin/env python3
"""Soak (issue 6): placeholder, being written."""
