"""Commit time: static checks, run by pre-commit, that each Dockerfile copies every first-party
module its service imports and installs every third-party one."""
