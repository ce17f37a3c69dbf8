#!/usr/bin/env bash
# verify-deployment.sh — the step a deploy script runs after shipping a new revision.
#
#   bin/verify-deployment.sh URL [extra predguard verify-deploy options...]
#   VERIFY_SPEC=verify.toml bin/verify-deployment.sh [options...]
#
# Waits for the service, checks /health (and VERIFY_EXPECT, e.g. "status=ok"), sends the smoke
# request in VERIFY_SMOKE (e.g. 'POST:/predictions={"game_date":"2026-01-30"}'), scans the logs
# from VERIFY_LOGS_CMD (e.g. gcloud logging read ... --freshness=10m), runs VERIFY_ON_FAIL once
# if the verdict is fail, and writes the JSON report to VERIFY_REPORT (default:
# verify-report.json). Exit 0 pass, 1 fail (rolled back if VERIFY_ON_FAIL is set), 2 usage error.
set -euo pipefail

predguard=${PREDGUARD:-predguard}
report=${VERIFY_REPORT:-verify-report.json}
args=()
if [ -n "${VERIFY_SPEC:-}" ]; then
  args+=(--spec "$VERIFY_SPEC")
else
  [ $# -ge 1 ] || { echo "usage: $0 URL [predguard verify-deploy options...] (or set VERIFY_SPEC)" >&2; exit 2; }
  args+=(--url "$1"); shift
  [ -z "${VERIFY_HEALTH:-}" ] || args+=(--health "$VERIFY_HEALTH")
  [ -z "${VERIFY_EXPECT:-}" ] || args+=(--expect "$VERIFY_EXPECT")
  [ -z "${VERIFY_SMOKE:-}" ] || args+=(--smoke "$VERIFY_SMOKE")
  [ -z "${VERIFY_LOGS_CMD:-}" ] || args+=(--logs-cmd "$VERIFY_LOGS_CMD")
  [ -z "${VERIFY_TOKEN:-}" ] || args+=(--header "Authorization: Bearer $VERIFY_TOKEN")
fi
[ -z "${VERIFY_TIMEOUT:-}" ] || args+=(--timeout "$VERIFY_TIMEOUT")
[ -z "${VERIFY_ON_FAIL:-}" ] || args+=(--on-fail "$VERIFY_ON_FAIL")
[ "${VERIFY_STRICT:-0}" != 1 ] || args+=(--strict)

set +e
"$predguard" verify-deploy "${args[@]}" "$@" --format json > "$report"
status=$?
set -e
if [ "$status" -ne 2 ]; then
  # A one-line summary for the deploy log; the report holds the evidence.
  python3 - "$report" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
counts, rollback = report["counts"], report["rollback"]
line = "verify-deployment: {} ({} passed, {} failed, {} inconclusive, {} errors)".format(
    report["verdict"].upper(), counts["pass"], counts["fail"], counts["inconclusive"], counts["error"])
if rollback:
    line += "; rollback exit {}".format(rollback["exit_code"])
print(line + "; report: " + sys.argv[1])
PY
fi
exit "$status"
