#!/bin/sh
# ap_drift in alphapulse.progress, seen from another session while it waits
# on a lock just before writing its report.  Needs a server with alphapulse
# preloaded (PGHOST/PGPORT/PGUSER).
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/drift/progress.py"
