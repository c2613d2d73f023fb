"""Workflows: named definitions (phases or a task DAG) compiled to one step graph, and their runs."""
