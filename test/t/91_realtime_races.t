#!/bin/sh
# Real time under concurrency: a change committed while a build of the same
# symbol is open waits for it and rebuilds its rows (no stale features), also
# from a COPY of 20,001 symbols; a REPEATABLE READ writer that misses another's
# bar gets 40001 and, retried, both bars are scored and announced.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/realtime/races_check.py"
