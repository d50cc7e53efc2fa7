#!/bin/sh
# Real time (issue 9): incremental features equal a rebuild bit for bit for
# every feature kind, untrusted saved states are refused, corrections rebuild
# features and re-score signals, ap_realtime announces signals with NOTIFY
# after COMMIT (never for a rolled-back insert), bad input is refused.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/realtime/realtime_check.py"
