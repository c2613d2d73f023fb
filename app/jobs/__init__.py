"""Jobs: registration and completion reports."""
