#!/bin/sh
# ap_train against scikit-learn and Python XGBoost (same library) on the same rows.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/models/oracle.py"
