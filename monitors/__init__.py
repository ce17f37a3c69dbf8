"""Every day: the drift monitor and the daily validation report, alerting Slack."""
