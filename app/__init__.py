"""Rendezvous: an HTTP coordination service for distributed jobs."""

__version__ = "0.1.0"
