#!/bin/sh
# ap_promote, ap_rollback and ap_evaluate from two sessions at once: no
# deadlock, history in commit order, exactly one champion.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/evaluate/concurrency.py"
