"""predguard: deployment and monitoring guards for prediction platforms.

This package holds only what every moment shares (the CLI dispatcher, the input-error
convention, configuration loading, structured logging). The work lives in `hooks`,
`verify`, `processors` and `monitors`.
"""
from __future__ import annotations

__version__ = "0.1.0"
