#!/bin/sh
# XGBoost boosters gbtree, dart and gblinear: ap_train against Python XGBoost on the same rows.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/evaluate/boosters.py"
