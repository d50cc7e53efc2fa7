#!/bin/sh
# ap_evaluate's metrics, difference and bootstrap interval against numpy/scikit-learn.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/evaluate/oracle.py"
