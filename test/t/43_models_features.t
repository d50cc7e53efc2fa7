#!/bin/sh
# The default feature set against pandas on the same bars.
# Needs a running server with the extension installed: PGHOST/PGPORT/PGUSER.
exec /usr/bin/python3 "$(dirname "$0")/../fixtures/models/features_oracle.py"
