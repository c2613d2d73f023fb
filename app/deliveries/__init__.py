"""Deliveries: the outbox of signed webhook callbacks."""
