"""Gathers: wait for a set of jobs, then call back once."""
