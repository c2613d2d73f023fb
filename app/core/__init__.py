"""Shared building blocks: database, clock, ids, pagination."""
