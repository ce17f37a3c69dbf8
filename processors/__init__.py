"""Run time: mode-aware processors that skip same-day empty data and keep real failures failures."""
