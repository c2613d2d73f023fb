"""Waits: participant groups that fire at quorum or when a resettable timer runs out (WaitForMe)."""
