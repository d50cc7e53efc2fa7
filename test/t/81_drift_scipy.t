#!/bin/sh
# ap_drift's statistics against SciPy within 1e-9: the C kernels (src/drift.c
# built alone as a shared library) on generated samples, then ap_drift end to
# end on deterministic bars.  Needs a server with the extension installed
# (PGHOST/PGPORT/PGUSER) for the second part.
set -e
here=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=gnu99 -O2 -fno-math-errno -Wall -Wextra -Werror -shared -fPIC -o "$tmp/libdrift.so" "$here/src/drift.c" -lm
exec /usr/bin/python3 "$here/test/fixtures/drift/scipy_check.py" "$tmp/libdrift.so"
