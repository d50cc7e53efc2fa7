#!/usr/bin/env bash
# Streaming indicator state (src/ta_stream.h) against the batch kernels: CPU
# ns per bar of every streamable kernel, batch over 1,000,000 bars next to
# the same bars pushed one at a time, a peek, the push cost at a long period
# (flat: O(1) per bar), and a state's size and save+load cost.  No server.
#   bench/stream.sh            (part of make bench)
# Env: AP_BENCH_RUNS (5), AP_BENCH_BARS (1000000).  Prints medians and the
# range of the runs; slow results never fail the script.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
make -s -C "$root/test/unit" bench_stream >&2
"$root/test/unit/bench_stream" "${AP_BENCH_RUNS:-5}" "${AP_BENCH_BARS:-1000000}"
