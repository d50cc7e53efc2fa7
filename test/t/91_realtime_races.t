#!/bin/sh
# Real time under concurrency: a correction committed while a build of the
# same symbol is open waits for it and rebuilds its rows (no stale features).
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/realtime/races_check.py"
