"""Phase-by-phase analytics processors."""
