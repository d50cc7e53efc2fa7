#!/bin/bash
# Scale-out benchmark: what the PL/Proxy layer costs per call against the
# alternative of connecting straight to the symbol's data server (sharding in
# the application).  Three data clusters and a proxy cluster on this machine,
# SYMBOLS symbols of BARS hourly bars; medians and spread of RUNS runs of:
#   ap_predict (one call = one routed round trip), ap_indicators over a
#   symbol's bars, ap_train fast, and reading alphapulse.champions (RUN ON ALL
#   through the proxy; the three servers' tables read one after another directly).
#   PGBIN=... bench/proxy.sh        (SYMBOLS=12 BARS=2000 CALLS=300 RUNS=5)
set -euo pipefail
cd "$(dirname "$0")/.."
export PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH PGUSER=postgres PGHOST=127.0.0.1
SYMBOLS=${SYMBOLS:-12} BARS=${BARS:-2000} CALLS=${CALLS:-300} RUNS=${RUNS:-5}
DIRS=() PORTS=()
cleanup() { local i; for i in "${!DIRS[@]}"; do test/bin/cluster.sh destroy "${DIRS[$i]}" "${PORTS[$i]}" >/dev/null 2>&1; done; }
trap cleanup EXIT
for i in 0 1 2 3; do
	for try in 1 2 3 4 5; do
		port=$((58000 + RANDOM % 1000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
		DIRS[$i]=$(mktemp -d /tmp/ap-bench-proxy.XXXXXX) PORTS[$i]=$port
		test/bin/cluster.sh start "${DIRS[$i]}" "$port" >/dev/null 2>&1 && break
		test/bin/cluster.sh destroy "${DIRS[$i]}" "$port" >/dev/null 2>&1
	done
done
P=${PORTS[3]}
for i in 0 1 2; do
	psql -qX -p "${PORTS[$i]}" -d alphapulse -v ON_ERROR_STOP=1 \
		-c "ALTER DATABASE alphapulse SET alphapulse.xgboost_threads = 1" -c "CREATE EXTENSION alphapulse"
done
psql -qX -p "$P" -d postgres -c "CREATE DATABASE proxy" >/dev/null
PGOPTIONS="-c client_min_messages=warning" psql -qX -p "$P" -d proxy -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse_proxy CASCADE" \
	-c "SELECT ap_proxy_set_servers(ARRAY['host=127.0.0.1 port=${PORTS[0]} dbname=alphapulse',
		'host=127.0.0.1 port=${PORTS[1]} dbname=alphapulse', 'host=127.0.0.1 port=${PORTS[2]} dbname=alphapulse'])" >/dev/null
# bars made on the proxy cluster's own alphapulse database, loaded through the proxy
psql -qX -p "$P" -d alphapulse -v ON_ERROR_STOP=1 -c "CREATE EXTENSION alphapulse" -f test/fixtures/models/bars.sql \
	-c "SELECT count(pg_temp.make_bars('b' || i, $BARS, 'b' || i)) FROM generate_series(1, $SYMBOLS) i" >/dev/null
psql -qXAt -p "$P" -d alphapulse -c "SELECT format('SELECT ap_add_asset(%L); SELECT ap_load_bars(%L, %L, %L, %L, %L, %L, %L);',
	symbol, symbol, array_agg(ts ORDER BY ts), array_agg(open ORDER BY ts), array_agg(high ORDER BY ts),
	array_agg(low ORDER BY ts), array_agg(close ORDER BY ts), array_agg(volume ORDER BY ts)) FROM alphapulse.bars GROUP BY symbol" |
	psql -qX -p "$P" -d proxy -v ON_ERROR_STOP=1 >/dev/null
psql -qX -p "$P" -d proxy -v ON_ERROR_STOP=1 -c "SELECT count(ap_build_features('b' || i)) FROM generate_series(1, $SYMBOLS) i" \
	-c "SELECT count(ap_train('b' || i)) FROM generate_series(1, $SYMBOLS) i" >/dev/null
# symbol -> port of its data server
MAP=$(psql -qXAt -p "$P" -d proxy -c "SELECT string_agg('b' || i || '=' || split_part(split_part(w.server, 'port=', 2), ' ', 1), ' ')
	FROM generate_series(1, $SYMBOLS) i, ap_proxy_where('b' || i) w")
PROXY_PORT=$P MAP=$MAP SYMBOLS=$SYMBOLS BARS=$BARS CALLS=$CALLS RUNS=$RUNS DATA_PORTS="${PORTS[*]:0:3}" /usr/bin/python3 - <<'PY'
import os, statistics, time
import psycopg2
P = int(os.environ["PROXY_PORT"]); calls = int(os.environ["CALLS"]); runs = int(os.environ["RUNS"])
where = dict(kv.split("=") for kv in os.environ["MAP"].split())
data_ports = [int(p) for p in os.environ["DATA_PORTS"].split()]
def conn(port, db):
    c = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname=db)
    c.autocommit = True
    return c
proxy = conn(P, "proxy")
direct = {p: conn(p, "alphapulse") for p in data_ports}
syms = sorted(where)
# one feature vector per symbol, for ap_predict
xs = {}
cur = proxy.cursor()
for s in syms:
    cur.execute("SELECT x FROM ap_features(%s) ORDER BY ts DESC LIMIT 1", (s,))
    xs[s] = cur.fetchone()[0]
def timed(fn):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter(); fn(); t.append(time.perf_counter() - t0)
    return statistics.median(t), min(t), max(t)
def predict(via_proxy):
    def go():
        for i in range(calls):
            s = syms[i % len(syms)]
            c = proxy if via_proxy else direct[int(where[s])]
            with c.cursor() as k:
                k.execute("SELECT ap_predict(%s, %s)", (s, xs[s])); k.fetchone()
    return go
items = ["ap_rsi(close, 14)", "(ap_macd(close, 12, 26, 9)).signal", "ap_atr(high, low, close)"]
def indicators(via_proxy):
    def go():
        for s in syms:
            c = proxy if via_proxy else direct[int(where[s])]
            with c.cursor() as k:
                k.execute("SELECT count(*) FROM ap_indicators(%s, %s)", (s, items)); k.fetchone()
    return go
def train(via_proxy):
    def go():
        for s in syms[:3]:
            c = proxy if via_proxy else direct[int(where[s])]
            with c.cursor() as k:
                k.execute("SELECT ap_train(%s, algorithm => 'ridge')", (s,)); k.fetchone()
    return go
def champions(via_proxy):
    def go():
        for _ in range(20):
            if via_proxy:
                with proxy.cursor() as k:
                    k.execute("SELECT * FROM alphapulse.champions"); k.fetchall()
            else:
                for c in direct.values():
                    with c.cursor() as k:
                        k.execute("SELECT * FROM alphapulse.champions"); k.fetchall()
    return go
print(f"scale-out: 3 data servers + proxy on one machine, {len(syms)} symbols x {os.environ['BARS']} bars, "
      f"median of {runs} runs (min-max); ratio = proxy / direct to the symbol's server")
for name, fn, per in [(f"ap_predict x{calls}", predict, calls), (f"ap_indicators x{len(syms)} (3 items)", indicators, len(syms)),
                      ("ap_train ridge x3", train, 3), ("champions read x20", champions, 20)]:
    d = timed(fn(False)); p = timed(fn(True))
    print(f"  {name:34s} direct {d[0]*1e3/per:8.3f} ms/call ({d[1]*1e3/per:.3f}-{d[2]*1e3/per:.3f})"
          f"  proxy {p[0]*1e3/per:8.3f} ms/call ({p[1]*1e3/per:.3f}-{p[2]*1e3/per:.3f})  ratio {p[0]/d[0]:5.2f}")
PY
