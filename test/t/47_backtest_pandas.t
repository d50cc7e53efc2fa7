#!/bin/sh
# ap_backtest and ap_backtest_equity against the same rule in pandas on the sample data.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/backtest/pandas_check.py"
