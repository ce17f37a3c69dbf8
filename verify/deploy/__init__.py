"""Post-deploy verification (`predguard verify-deploy`): wait for each service, probe its health
and smoke endpoints, scan its logs, decide pass / fail, roll back on fail.

    spec       quick flags or a TOML spec -> Plan (services, checks, log sources)
    timeouts   per-request timeouts that adapt to observed latency
    probe      one HTTP check -> Outcome (status, JSON expectations, body pattern, latency)
    readiness  wait for /health with exponential backoff and jitter (tenacity)
    logs       lines written since the run started, from a file or a command, matched to patterns
    run        services verified concurrently -> Result; the rollback command on fail
    report     text | json | junit
"""
