"""Print the app's OpenAPI document: ``python -m app.openapi > openapi.json``."""

from __future__ import annotations

import json
import sys

from app.config import Settings
from app.main import create_app


def render() -> str:
    """The committed openapi.json, byte for byte."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
