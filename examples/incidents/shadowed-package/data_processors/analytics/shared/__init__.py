"""Analytics-only helpers. Named `shared` by the service's authors; inside this image it hides
the repository's own `shared` package whenever the service runs from its own directory."""
from __future__ import annotations

DATE_FORMAT = "%Y-%m-%d"
