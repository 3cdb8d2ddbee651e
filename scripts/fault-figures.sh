#!/bin/sh
# The fault campaign's figures at the sizes (docs/RELIABILITY.md), longer than the suite allows
# (the suite's runner stops a file after 180 s): 3,000 users throttled to 5 requests/s and with one
# failing user, 20 kills during delivery of 3,000 emails, four and two 200,000-row uploads on SQLite and
# PostgreSQL, and the other fault tests. Run from the repository root (takes ~10 minutes):
#   sh scripts/fault-figures.sh | grep FIGURE
# Each figure is printed by the test itself ("FIGURE name: {...}").
run() { node --import tsx --test --test-reporter=spec --test-timeout=1800000 "$@"; }
ONRAMP_FAULT_USERS=3000 run test/faults/graph-faults.test.ts
ONRAMP_FAULT_KILLS=20 ONRAMP_FAULT_EMAILS=3000 run test/faults/kill-during-delivery.test.ts
ONRAMP_FAULT_UPLOAD_ROWS=200000 run test/faults/concurrent-uploads.test.ts
run test/faults/postgres-terminated.test.ts test/faults/sqlite-readonly.test.ts test/faults/lease-takeover.test.ts
