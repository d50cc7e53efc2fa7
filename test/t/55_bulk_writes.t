#!/bin/sh
# ap_score's bulk write of signals: same rows as the SQL path, AFTER triggers
# fired, the model key under concurrency.  Needs a running server with the
# extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/models/bulk_writes.py"
