#!/bin/sh
# Model cache invalidation across two sessions, and cancelling a training run.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/models/sessions.py"
