#!/bin/bash
# bench/feeds.sh - ingest ROWS one-minute candles (1,000 per page) from the
# local fixture server and print rows/s for: COPY of the same rows from a CSV
# file (the floor), ap_ingest_now (in the backend), ap_ingest (the background
# worker, timed until its queue is empty), and a /usr/bin/python3
# urllib + psycopg2 loop inserting the same pages.  Medians of RUNS runs.
#   PGBIN (default /usr/lib/postgresql/15/bin), ROWS (1000000), RUNS (3),
#   FEEDS_PG_PORT (54373), FEEDS_HTTP_PORT (54374)
set -e
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/test/bin/cluster.sh"	# ap_cluster, ap_free_port, ap_wait_until
PGP=${FEEDS_PG_PORT:-$(ap_free_port)}
HTP=${FEEDS_HTTP_PORT:-$(ap_free_port)}
if [ "$(id -u)" = 0 ]; then
	# initdb refuses root; run as postgres from a copy it can read (the clone
	# may be private to root).
	STAGE=$(mktemp -d /tmp/feeds-bench-stage.XXXXXX)
	cp -a "$TOP/bench" "$TOP/test" "$STAGE/"
	chown -R postgres "$STAGE"
	cd "$STAGE"
	exec runuser -u postgres -- env PGBIN="$PGBIN" ROWS="$ROWS" RUNS="$RUNS" FEEDS_PG_PORT="$PGP" FEEDS_HTTP_PORT="$HTP" \
		BENCH_STAGE="$STAGE" bash "$STAGE/bench/feeds.sh" "$@"
fi
W=$(mktemp -d /tmp/feeds-bench.XXXXXX)
FIX=
cleanup() {
	[ -f "$W/data/postmaster.pid" ] && ap_cluster stop "$W" "$PGP" postgres immediate >/dev/null 2>&1
	[ -n "$FIX" ] && kill "$FIX" 2>/dev/null
	rm -rf "$W"
	[ -n "${BENCH_STAGE:-}" ] && rm -rf "$BENCH_STAGE"
}
trap cleanup EXIT
ap_cluster init "$W" "$PGP" postgres
cat >>"$W/data/postgresql.conf" <<CONF
alphapulse.allowed_hosts = '127.0.0.1:$HTP'
shared_buffers = '512MB'
max_wal_size = '4GB'
CONF
ap_cluster start "$W" "$PGP" postgres >/dev/null
q() { "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$PGP" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$1"; }
/usr/bin/python3 "$TOP/test/fixture_server.py" "$HTP" >"$W/fixture.log" 2>&1 &
FIX=$!
ap_wait_until 30 "the fixture server" grep -q "fixture server on" "$W/fixture.log"
q "CREATE EXTENSION alphapulse"
q "INSERT INTO alphapulse.assets (symbol, bar_interval) VALUES ('gen', '1 minute')"
END_TS=$(q "SELECT '2000-01-01 00:00Z'::timestamptz + $ROWS * interval '1 minute'")
URL="http://127.0.0.1:$HTP/ok/binance/api/v3/klines?symbol=GEN&interval=1m"
q "SELECT ap_add_feed('bench', 'price', 'binance', '$URL', 'gen', '{\"start\": \"2000-01-01\", \"end\": \"$END_TS\", \"page_size\": 1000}')"
# the same rows as a CSV file for COPY (written by the fixture's own generator)
/usr/bin/python3 - "$TOP/test" "$ROWS" "$W/gen.csv" <<'PY'
import sys, datetime as dt
sys.path.insert(0, sys.argv[1])
import fixture_server as fs
fs.load(fs.os.path.join(sys.argv[1], "fixtures", "feed_bars.csv"))
with open(sys.argv[3], "w") as out:
    for r in fs.gen_rows(0, int(sys.argv[2])):
        ts = dt.datetime.fromtimestamp(r[0], dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S+00")
        out.write("gen,%s,%s,%s,%s,%s,%s\n" % ((ts,) + r[1:]))
PY
reset() { q "TRUNCATE alphapulse.bars; UPDATE alphapulse.feeds SET cursor_ts = NULL; CHECKPOINT"; }
secs() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
spread() { sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f - %.2f s", lo, hi}'; }
declare -A T
for run in $(seq "$RUNS"); do
	reset; t0=$(secs)
	q "COPY alphapulse.bars FROM '$W/gen.csv' (FORMAT csv)"
	T[copy]+="$(echo "$(secs) - $t0" | bc) "
	n=$(q "SELECT count(*) FROM alphapulse.bars"); [ "$n" = "$ROWS" ] || { echo "COPY landed $n rows" >&2; exit 1; }

	reset; t0=$(secs)
	r=$(q "SELECT rows_landed FROM ap_ingest_now('bench')")
	T[ap]+="$(echo "$(secs) - $t0" | bc) "
	[ "$r" = "$ROWS" ] || { echo "ap_ingest_now landed $r rows" >&2; exit 1; }

	reset; t0=$(secs)
	q "SELECT ap_ingest('bench')" >/dev/null
	until [ "$(q "SELECT count(*) FROM alphapulse.feed_queue")" = 0 ]; do sleep 0.05; done
	T[worker]+="$(echo "$(secs) - $t0" | bc) "
	n=$(q "SELECT count(*) FROM alphapulse.bars"); [ "$n" = "$ROWS" ] || { echo "the worker landed $n rows" >&2; exit 1; }

	reset; t0=$(secs)
	r=$(/usr/bin/python3 "$TOP/bench/feeds_python_loop.py" "$URL" 946684800000 $((946684800000 + ROWS * 60000)) 1000 \
		"host=127.0.0.1 port=$PGP user=postgres dbname=postgres" gen)
	T[py]+="$(echo "$(secs) - $t0" | bc) "
	n=$(q "SELECT count(*) FROM alphapulse.bars")
	[ "$n" = "$ROWS" ] || { echo "python loop landed $n rows" >&2; exit 1; }
done
PYROWS=$ROWS
mc=$(echo ${T[copy]} | tr ' ' '\n' | median)
ma=$(echo ${T[ap]} | tr ' ' '\n' | median)
mp=$(echo ${T[py]} | tr ' ' '\n' | median)
mw=$(echo ${T[worker]} | tr ' ' '\n' | median)
printf 'feeds bench: %d one-minute candles, 1000 per page, median of %d runs (min - max)\n' "$ROWS" "$RUNS"
printf '  %-34s %8.2f s  %10.0f rows/s  (%s)\n' "COPY from a CSV file (floor)" "$mc" "$(echo "$ROWS / $mc" | bc -l)" "$(echo ${T[copy]} | tr ' ' '\n' | spread)"
printf '  %-34s %8.2f s  %10.0f rows/s  (%s)\n' "ap_ingest_now (fixture HTTP)" "$ma" "$(echo "$ROWS / $ma" | bc -l)" "$(echo ${T[ap]} | tr ' ' '\n' | spread)"
printf '  %-34s %8.2f s  %10.0f rows/s  (%s)\n' "ap_ingest (background worker)" "$mw" "$(echo "$ROWS / $mw" | bc -l)" "$(echo ${T[worker]} | tr ' ' '\n' | spread)"
printf '  %-34s %8.2f s  %10.0f rows/s  (%s)\n' "python urllib+psycopg2 loop" "$mp" "$(echo "$PYROWS / $mp" | bc -l)" "$(echo ${T[py]} | tr ' ' '\n' | spread)"
# run by run: each run's ap_ingest_now against the same run's COPY and python loop
read -r -a TA <<<"${T[ap]}"; read -r -a TC <<<"${T[copy]}"; read -r -a TP <<<"${T[py]}"
rc=""; rp=""
for i in "${!TA[@]}"; do
	rc+="$(echo "${TA[$i]} / ${TC[$i]}" | bc -l) "
	rp+="$(echo "${TP[$i]} / ${TA[$i]}" | bc -l) "
done
range() { tr ' ' '\n' | grep . | sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2fx - %.2fx", lo, hi}'; }
printf '  ap_ingest_now / COPY time: %.2fx (runs %s, target <= 2)   python loop / ap_ingest_now time: %.2fx (runs %s, target >= 5)\n' \
	"$(echo "$ma / $mc" | bc -l)" "$(echo $rc | range)" "$(echo "($ROWS / $ma) / ($PYROWS / $mp)" | bc -l)" "$(echo $rp | range)"
