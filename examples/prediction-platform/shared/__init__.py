"""Code shared by every service of the platform."""
