"""Namespaces (and, later, API keys)."""
