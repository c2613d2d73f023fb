"""Access: API keys and the callers they stand for, rate limits, Idempotency-Key."""
