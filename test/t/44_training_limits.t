#!/bin/sh
# Training memory bounds, isolation in the trainer process, cancellation and the
# thread cap (issue 7 findings 2 and 10).
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/models/training_limits.py"
