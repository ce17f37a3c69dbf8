"""The prediction worker."""
