#!/bin/sh
# False alarms over repeated same-distribution draws and detections on
# shifted ones, for every drift method at its default threshold (no server).
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=gnu99 -O2 -fno-math-errno -Wall -Wextra -Werror -shared -fPIC -o "$tmp/libdrift.so" "$here/src/drift.c" -lm
exec /usr/bin/python3 "$here/test/fixtures/drift/rates.py" "$tmp/libdrift.so" "${DRIFT_RATE_DRAWS:-1000}"
