"""The prediction coordinator."""
