"""Start-up and deploy time: critical-import verification and post-deploy verification."""
