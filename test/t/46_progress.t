#!/bin/sh
# alphapulse.progress seen from other sessions, NOTICE lines and their settings,
# cleanup on return, cancel and caught errors.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/models/progress.py"
