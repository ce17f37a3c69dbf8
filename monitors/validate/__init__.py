"""`predguard validate`: the day's data-quality report, one batched query, Slack only for real issues.

    config (checks, per-mode expectations) ──schema guard (one catalogue read)──▶ runnable | degraded
    runnable checks ──batch (one SELECT of scalar subqueries)──▶ metric values
    mode (pre_game | post_game, or auto: schedule + clock in the league's zone) + expectations ──▶ statuses
    report ──▶ text | json;   problems ──alert state──▶ outbox ──▶ Slack (the drift monitor's notifiers)
    --emit-sql: the same metric SQL as one view, one row per day, for a dashboard
"""
