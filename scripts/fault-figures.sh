#!/bin/sh
# The fault campaign's figures at the sizes (docs/RELIABILITY.md), longer than the suite allows:
# 3,000 users throttled to 5 requests/s and with one failing user, 20 kills during delivery of 3,000
# emails, four and two 200,000-row uploads on SQLite and PostgreSQL. Run from the repository root:
#   sh scripts/fault-figures.sh | grep FIGURE
# Each figure is printed by the test itself ("FIGURE name: {...}").
set -e
export ONRAMP_SKIP_TYPECHECK=1
ONRAMP_FAULT_USERS=3000 node scripts/run-tests.mjs test/faults/graph-faults
ONRAMP_FAULT_KILLS=20 ONRAMP_FAULT_EMAILS=3000 node scripts/run-tests.mjs test/faults/kill-during-delivery
ONRAMP_FAULT_UPLOAD_ROWS=200000 node scripts/run-tests.mjs test/faults/concurrent-uploads
node scripts/run-tests.mjs test/faults/postgres-terminated test/faults/sqlite-readonly test/faults/lease-takeover
