"""gunicorn settings for the coordinator: verify the service's imports before serving.

`on_starting` runs in the master before any worker boots: if a module the code needs (the
manifest beside this file, derived from the code) cannot be found, every one of them is logged as
a JSON line with a summary, and the process exits 1 instead of serving requests that would fail.
"""
import os

from predguard.verify.startup import verify_or_exit

MANIFEST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "imports-manifest.json")


def on_starting(server):
    verify_or_exit(manifest=MANIFEST, mode="spec")
