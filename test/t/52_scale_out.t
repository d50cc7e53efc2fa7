#!/bin/bash
# Scale-out (issue 12): three data clusters and a proxy cluster.  Twenty
# symbols go through the proxy (alphapulse_proxy over PL/Proxy): assets,
# bars, feature sets, features, training, promotion, scoring, evaluation,
# backtests, drift, prediction, indicators, scoring on arrival, model export,
# import and retention, and the cross-symbol views (progress too).  Checks
# that each symbol's rows live on exactly one server, the one
# hashtext(symbol) & 3 names (partition p on server p mod 3), that every
# result equals the same pipeline run on one server, that every merged view
# equals the union of the servers', and that moving a symbol keeps its models,
# predictions and signals.
# Prints timings (never asserted).
#   PGBIN   PostgreSQL bin dir (default /usr/lib/postgresql/15/bin)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
export PATH=$PGBIN:$PATH PGUSER=postgres PGHOST=127.0.0.1
unset PGPORT PGDATABASE
TAPN=0 TAPFAIL=0
ok() { TAPN=$((TAPN + 1)); if [ "$1" = 0 ]; then echo "ok $TAPN - $2"; else echo "not ok $TAPN - $2"; TAPFAIL=$((TAPFAIL + 1)); return 1; fi; }
is() {
	TAPN=$((TAPN + 1))
	if [ "$1" == "$2" ]; then echo "ok $TAPN - $3"; else
		echo "not ok $TAPN - $3"; printf '#   got: %s\n#  want: %s\n' "$1" "$2"; TAPFAIL=$((TAPFAIL + 1)); return 1; fi
}
diag() { printf '# %s\n' "$@"; }
# q <port> <db> <sql>: tuples only, stops at the first error
q() { PGOPTIONS="-c client_min_messages=error" psql -X -qAt -p "$1" -d "$2" -v ON_ERROR_STOP=1 -c "$3" 2>&1; }
qf() { local p=$1 db=$2; shift 2; PGOPTIONS="-c client_min_messages=error" psql -X -qAt -p "$p" -d "$db" -v ON_ERROR_STOP=1 "$@" 2>&1; }
# sqlstate <port> <db> <sql>: the SQLSTATE the statement fails with
sqlstate() { psql -X -qAt -p "$1" -d "$2" -v VERBOSITY=sqlstate -c "$3" 2>&1 >/dev/null | sed -n 's/^ERROR: *\([0-9A-Z]\{5\}\).*/\1/p' | head -1; }
now_ms() { date +%s%3N; }
T0=$(now_ms)
. test/bin/cluster.sh	# ap_wait_until, ap_wait_sql
lap() { local t; t=$(now_ms); diag "$(printf '%-44s %7.2f s' "$1" "$(echo "($t - $T0) / 1000" | bc -l)")"; T0=$t; }

if ! [ -f "$($PGBIN/pg_config --sharedir)/extension/plproxy.control" ]; then
	echo "Bail out! PL/Proxy is not installed for $PGBIN (test/bin/deps.sh installs postgresql-15-plproxy; test/bin/private-pg.sh copies it)"
	exit 1
fi

# four clusters on free ports: data servers 1-3 and the proxy (which also
# holds the single-server reference database)
DIRS=() PORTS=()
cleanup() {
	local i
	for i in "${!DIRS[@]}"; do PGBIN=$PGBIN test/bin/cluster.sh destroy "${DIRS[$i]}" "${PORTS[$i]}" >/dev/null 2>&1; done
}
trap cleanup EXIT
for i in 0 1 2 3; do
	# a free port can be taken by another test before the server binds it: retry
	for try in 1 2 3 4 5; do
		for _ in $(seq 50); do
			port=$((56000 + RANDOM % 2000))
			case " ${PORTS[*]} " in *" $port "*) continue ;; esac
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
		done
		DIRS[$i]=$(mktemp -d /tmp/ap-scale.XXXXXX) PORTS[$i]=$port
		PGBIN=$PGBIN test/bin/cluster.sh start "${DIRS[$i]}" "$port" >/dev/null 2>&1 && break
		PGBIN=$PGBIN test/bin/cluster.sh destroy "${DIRS[$i]}" "$port" >/dev/null 2>&1
		[ "$try" = 5 ] && { echo "Bail out! cluster $i did not start"; exit 1; }
	done
done
D=("${PORTS[0]}" "${PORTS[1]}" "${PORTS[2]}") P=${PORTS[3]}
lap "four clusters started"

setup_data='ALTER DATABASE alphapulse SET alphapulse.xgboost_threads = 1;
ALTER DATABASE alphapulse SET alphapulse.allowed_hosts = '"'"'example.com'"'"';
CREATE EXTENSION alphapulse;'
for p in "${D[@]}"; do
	# pg_cron runs in the database named by cron.database_name (alphapulse): ap_schedule
	out=$(qf "$p" alphapulse -c "$setup_data" -c "CREATE EXTENSION pg_cron"); ok $? "data server on port $p: CREATE EXTENSION alphapulse, pg_cron" || diag "$out"
done
out=$(qf "$P" postgres -c "CREATE DATABASE single" -c "CREATE DATABASE proxy") || diag "$out"
out=$(qf "$P" single -c "$setup_data"); ok $? "single-server reference database" || diag "$out"
out=$(qf "$P" proxy -c "CREATE EXTENSION alphapulse_proxy CASCADE"); ok $? "proxy: CREATE EXTENSION alphapulse_proxy CASCADE (plproxy)" || diag "$out"
conn() { echo "host=127.0.0.1 port=$1 dbname=alphapulse"; }
parts=$(q "$P" proxy "SELECT ap_proxy_set_servers(ARRAY['$(conn "${D[0]}")', '$(conn "${D[1]}")', '$(conn "${D[2]}")'])")
is "$parts" 4 "three servers: four partitions (PL/Proxy needs a power of two)"
is "$(q "$P" proxy "SELECT string_agg(partition || '=' || split_part(split_part(server, 'port=', 2), ' ', 1), ',' ORDER BY partition) FROM ap_proxy_partitions()")" \
	"0=${D[0]},1=${D[1]},2=${D[2]},3=${D[0]}" "partition p is on server p mod 3"
# Every AlphaPulse function of a symbol, model or feed has its routed twin on
# the proxy, with the same arguments (a function added to alphapulse later
# fails this until sql/proxy/ routes it).
fns="SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' FROM pg_proc p
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e' JOIN pg_extension e ON e.oid = d.refobjid
	WHERE e.extname = '%s' AND p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'ap\\_%%'
		AND EXISTS (SELECT FROM unnest(p.proargnames, coalesce(p.proargmodes::text[], array_fill('i'::text, ARRAY[coalesce(cardinality(p.proargnames), 0)]))) a(n, m)
					WHERE m IN ('i', 'b', 'v') AND n IN ('symbol', 'model_id', 'feed')) ORDER BY 1"
missing=$(comm -23 <(q "${D[0]}" alphapulse "$(printf "$fns" alphapulse)") <(q "$P" proxy "$(printf "$fns" alphapulse_proxy)") | paste -sd' ')
is "$missing" "" "every ap_* function of a symbol, model or feed on the data servers is routed by the proxy with the same arguments"
diag "routed: $(q "$P" proxy "$(printf "$fns" alphapulse_proxy)" | sed 's/(.*//' | sort -u | paste -sd' ')"
lap "extensions and cluster map"

# Twenty symbols, synthetic hourly bars made in the reference database and
# loaded there and, through the proxy, onto the data servers.
SYMS=$(for i in $(seq -w 0 19); do printf 'sym%s ' "$i"; done)
NBARS=400
out=$(qf "$P" single -f test/fixtures/models/bars.sql \
	-c "SELECT count(pg_temp.make_bars(s, $NBARS, s)) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s"); ok $? "reference bars made" || diag "$out"
qf "$P" single -c "SELECT format('SELECT ap_add_asset(%L, %L);', a.symbol, 'asset ' || a.symbol) FROM alphapulse.assets a ORDER BY 1" \
	-c "SELECT format('SELECT ap_load_bars(%L, %L, %L, %L, %L, %L, %L);', b.symbol, array_agg(b.ts ORDER BY b.ts),
		array_agg(b.open ORDER BY b.ts), array_agg(b.high ORDER BY b.ts), array_agg(b.low ORDER BY b.ts),
		array_agg(b.close ORDER BY b.ts), array_agg(b.volume ORDER BY b.ts)) FROM alphapulse.bars b GROUP BY b.symbol ORDER BY b.symbol" \
	>"${DIRS[3]}/load.sql"
q "$P" single "UPDATE alphapulse.assets SET description = 'asset ' || symbol" >/dev/null
out=$(qf "$P" proxy -f "${DIRS[3]}/load.sql")
ok $? "assets and bars loaded through the proxy" || diag "$(echo "$out" | head -5)"
is "$(echo "$out" | grep -cx "$NBARS")" 20 "ap_load_bars landed $NBARS bars for each of the twenty symbols"
is "$(grep "ap_load_bars('sym00'" "${DIRS[3]}/load.sql" | qf "$P" proxy)" 0 "loading the same bars again lands nothing"
lap "bars loaded (20 x $NBARS)"

# the pipeline, on the proxy and on the reference, in the same order
pipeline() {	# pipeline <port> <db>
	qf "$1" "$2" -c "SELECT ap_feature_set('mine', '{\"features\": [\"rsi:14\", \"bb_pctb:20:2.5\", \"ret:1\", \"ret:3\"], \"target\": {\"horizon\": 2, \"type\": \"regression\"}}')" \
		-c "SELECT sum(ap_build_features(s)) + sum(ap_build_features(s, 'mine')) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s" \
		-c "SELECT count(ap_train(s, 'fast')) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s" \
		-c "SELECT count(ap_train(s, algorithm => 'ridge', feature_set => 'mine')) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s" \
		-c "SELECT sum(ap_score(s)) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s"
}
out=$(pipeline "$P" proxy); ok $? "pipeline through the proxy: feature set, features, train fast, ridge, score" || diag "$out"
lap "pipeline through the proxy"
ref=$(pipeline "$P" single); ok $? "the same pipeline on one server" || diag "$ref"
lap "pipeline on one server"
is "$out" "$ref" "feature rows, model counts and signal counts equal"
# promote the ridge challenger of every other symbol (routed by model id)
promote="SELECT count(ap_promote(m.id)) FROM alphapulse.models m WHERE m.algorithm = 'ridge' AND right(m.symbol, 1)::int % 2 = 0"
is "$(q "$P" proxy "$promote")" 10 "ap_promote(model_id) through the proxy finds each model's server"
q "$P" single "$promote" >/dev/null
# score again: the new champions' signals
q "$P" proxy "SELECT sum(ap_score(s)) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s" >/dev/null
q "$P" single "SELECT sum(ap_score(s)) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s" >/dev/null

# Evaluation, backtests and drift, through the proxy and on one server in the
# same order.  Promotion policies and periods_per_year are tables, written on
# the data servers: a looser policy on half the symbols (30 rows, a 20%
# interval) lets a challenger win, and sym05 trades 252 bars a year.
policy="INSERT INTO alphapulse.promotion_policies (symbol, min_rows, confidence)
	SELECT symbol, 30, 0.2 FROM alphapulse.assets WHERE right(symbol, 1)::int % 4 < 2;
UPDATE alphapulse.assets SET periods_per_year = 252 WHERE symbol = 'sym05'"
for p in "${D[@]}"; do qf "$p" alphapulse -c "$policy" >/dev/null; done
qf "$P" single -c "$policy" >/dev/null
# ids differ between the runs: compared as model versions
mlops() {	# mlops <port> <db>
	qf "$1" "$2" \
		-c "SELECT count(ap_train(c.symbol, algorithm => CASE WHEN c.algorithm = 'ridge' THEN 'xgboost' ELSE 'logistic' END,
			feature_set => c.feature_set)) FROM alphapulse.champions c" \
		-c "SELECT e.symbol, ch.version, cl.version, to_jsonb(e) - '{id,champion_id,challenger_id,by_user,evaluated_at,reason}'::text[]
			FROM (SELECT symbol, max(id) AS id FROM alphapulse.models GROUP BY symbol) m, ap_evaluate(m.symbol, m.id) e
			JOIN alphapulse.models ch ON ch.id = e.champion_id JOIN alphapulse.models cl ON cl.id = e.challenger_id ORDER BY 1" \
		-c "SELECT s, m.version, to_jsonb(b) - 'model_id' FROM unnest(string_to_array(trim('$SYMS'), ' ')) s,
			ap_backtest(s, fee_bps => 5) b JOIN alphapulse.models m ON m.id = b.model_id ORDER BY 1" \
		-c "SELECT s, count(*), md5(string_agg(e::text, '|' ORDER BY e.ts)) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s,
			ap_backtest_equity(s, (SELECT min(id) FROM alphapulse.models WHERE symbol = s), allow_short => true, allow_in_sample => true) e
			GROUP BY s ORDER BY 1" \
		-c "SELECT string_agg(s || '=' || ap_periods_per_year(s), ' ' ORDER BY s) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s" \
		-c "SELECT count(ap_drift(s, '2024-01-14')) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s"
}
out=$(mlops "$P" proxy); ok $? "through the proxy: a challenger per symbol, ap_evaluate, ap_backtest, ap_backtest_equity, ap_periods_per_year, ap_drift" || diag "$out"
lap "evaluate, backtest, drift through the proxy"
ref=$(mlops "$P" single); ok $? "the same on one server" || diag "$ref"
is "$(md5sum <<<"$out" | cut -c1-32)" "$(md5sum <<<"$ref" | cut -c1-32)" \
	"evaluations, backtests (summary and curve), bars per year and drift report counts equal the single server's"
if [ "$out" != "$ref" ]; then diff <(echo "$out") <(echo "$ref") | head -6 | sed 's/^/# /'; fi
diag "$(echo "$out" | grep -c '"verdict": "promoted"') promoted, $(echo "$out" | grep -c '"verdict": "refused"') refused; $(echo "$out" | grep -c '"bh_sharpe"') backtests ($(echo "$out" | grep '"bh_sharpe"' | grep -cE '"sharpe": -?[0-9]') with a Sharpe ratio), $(echo "$out" | grep -E '^sym[0-9]+\|[0-9]+\|[0-9a-f]{32}$' | cut -d'|' -f2 | paste -sd+ | bc) equity rows"
ok $([ "$(echo "$out" | grep -c '"verdict": "promoted"')" -ge 1 ] && [ "$(echo "$out" | grep -c '"verdict": "refused"')" -ge 1 ] \
	&& [ "$(echo "$out" | grep -c '"bh_sharpe"')" = 20 ] && [ "$(echo "$out" | grep '"bh_sharpe"' | grep -cE '"sharpe": -?[0-9]')" -ge 10 ]; echo $?) \
	"the comparison covers promoted and refused challengers and twenty backtests, most with a Sharpe ratio"
ok $(echo "$out" | grep -q 'sym05=252 .*sym06=8760'; echo $?) "ap_periods_per_year reads each symbol's own server (sym05: 252)"
is "$(echo "$out" | tail -1)" 20 "twenty drift reports"
is "$(q "$P" proxy "SELECT ap_periods_per_year(NULL) IS NULL")" t "ap_periods_per_year(NULL) is NULL, as on a data server (STRICT)"
is "$(sqlstate "$P" proxy "SELECT ap_backtest('nosuch')")" "$(sqlstate "$P" single "SELECT ap_backtest('nosuch')")" \
	"ap_backtest of an unknown symbol fails with the data server's SQLSTATE"
lap "evaluate, backtest, drift on one server"

# Placement: each symbol's rows are on exactly one server, the hashed one.
want_place=$(q "$P" proxy "SELECT string_agg(s || ':' || (ARRAY['${D[0]}', '${D[1]}', '${D[2]}'])[(hashtext(s) & 3) % 3 + 1], ' ' ORDER BY s)
	FROM unnest(string_to_array(trim('$SYMS'), ' ')) s")
placed() {	# symbol:port for every symbol row on every data server, per table
	local p
	for p in "${D[@]}"; do
		q "$p" alphapulse "SELECT DISTINCT symbol || ':$p' FROM (SELECT symbol FROM alphapulse.$1) t"
	done | sort | paste -sd' '
}
for t in assets bars features runs models signals evaluations model_events drift_reports; do
	is "$(placed $t)" "$want_place" "alphapulse.$t: each symbol on exactly one server, hashtext(symbol) & 3 mod 3"
done
spread=$(for p in "${D[@]}"; do q "$p" alphapulse "SELECT count(*) FROM alphapulse.assets"; done | paste -sd' ')
diag "symbols per data server: $spread"
ok $([[ " $spread " != *" 0 "* ]]; echo $?) "every data server holds symbols"
is "$(q "$P" proxy "SELECT string_agg(s || ':' || split_part(split_part(w.server, 'port=', 2), ' ', 1), ' ' ORDER BY s)
	FROM unnest(string_to_array(trim('$SYMS'), ' ')) s, ap_proxy_where(s) w")" "$want_place" "ap_proxy_where names the same servers"
blocks=$(for p in "${D[@]}"; do q "$p" alphapulse "SELECT string_agg(DISTINCT (id >> 40)::text, ',') FROM alphapulse.models"; done | paste -sd' ')
is "$blocks" "3 1 2" "each server draws model ids from its own block (its highest partition * 2^40)"
is "$(q "$P" proxy "SELECT count(DISTINCT id) = count(*) FROM alphapulse.models")" t "model ids are unique across data servers"
lap "placement checked"

# Results equal the single-server run: compared as text, ids replaced by
# (symbol, version) since each server draws its own ids.
cmp_sql() {	# the view/table reads that must match, as one ordered text
	cat <<SQL
SELECT 'A', symbol, description, bar_interval, periods_per_year FROM alphapulse.assets ORDER BY 2;
SELECT 'C', symbol, version, algorithm, feature_set, holdout_metrics, cv_metrics FROM alphapulse.champions ORDER BY 2;
SELECT 'M', symbol, version, algorithm, stage, task, feature_names, train_from, train_to, holdout_to, n_rounds, metrics, cv_metrics FROM alphapulse.models ORDER BY 2, 3;
SELECT 'R', symbol, status, algorithm, feature_set, mode, n_rows, n_train, n_holdout, data_from, data_to, holdout_metrics FROM alphapulse.runs ORDER BY 2, 4, 5, 10;
SELECT 'S', s.symbol, s.ts, m.version, s.score, s.signal FROM alphapulse.signals s JOIN alphapulse.models m ON m.id = s.model_id ORDER BY 2, 3, 4;
SELECT 'G', symbol, ts, version, score, signal FROM alphapulse.champion_signals ORDER BY 2, 3;
SELECT 'E', e.symbol, ch.version, cl.version, e.window_from, e.window_to, e.rows, e.metric, e.champion_metrics, e.challenger_metrics,
	e.difference, e.ci_low, e.ci_high, e.block_length, e.resamples, e.seed, e.policy, e.verdict, regexp_replace(e.reason, 'ap_evaluate [0-9]+', 'ap_evaluate N')
FROM alphapulse.evaluations e JOIN alphapulse.models ch ON ch.id = e.champion_id JOIN alphapulse.models cl ON cl.id = e.challenger_id ORDER BY 2, e.id;
SELECT 'V', e.symbol, e.event, m.version, e.by_user, e.details - '{champion_id,evaluation_id,previous_champion}'::text[]
FROM alphapulse.model_events e LEFT JOIN alphapulse.models m ON m.id = e.model_id ORDER BY 2, e.id;
SELECT 'D', r.symbol, m.version, r.reference_from, r.reference_to, r.current_from, r.current_to, r.reference_rows, r.current_rows,
	r.share_drifted, r.drifted, r.drift_share, r.since, r.options FROM alphapulse.drift_reports r JOIN alphapulse.models m ON m.id = r.model_id ORDER BY 2, r.id;
SELECT 'F', r.symbol, f.feature, f.method, f.statistic, f.p_value, f.threshold, f.drifted, f.reference_values, f.current_values,
	f.distinct_values, f.position FROM alphapulse.drift_features f JOIN alphapulse.drift_reports r ON r.id = f.report_id ORDER BY 2, r.id, f.position;
SELECT 'Q', symbol, regexp_replace(reason, 'report [0-9]+', 'report N'), status FROM alphapulse.retrain_requests ORDER BY 2, id;
SQL
}
for db in proxy single; do cmp_sql | qf "$P" "$db" >"${DIRS[3]}/$db.reads"; done
is "$(md5sum <"${DIRS[3]}/proxy.reads" | cut -c1-32)" "$(md5sum <"${DIRS[3]}/single.reads" | cut -c1-32)" \
	"assets, champions, models, runs, signals, champion signals, evaluations, model events, drift reports and features, retrain requests read through the proxy equal the single server's"
counts=$(cut -c1 "${DIRS[3]}/proxy.reads" | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')
diag "rows compared: $counts"
ok $([ "$(grep -c '^C' "${DIRS[3]}/proxy.reads")" = 20 ] && [ "$(grep -c '^S' "${DIRS[3]}/proxy.reads")" -gt 1000 ]; echo $?) \
	"the comparison covers twenty champions and the signals"
ok $([ "$(grep -c '^E' "${DIRS[3]}/proxy.reads")" = 20 ] && [ "$(grep -c '^D' "${DIRS[3]}/proxy.reads")" = 20 ] \
	&& [ "$(grep -c '^F' "${DIRS[3]}/proxy.reads")" -ge 100 ] && [ "$(grep -c '^V' "${DIRS[3]}/proxy.reads")" -ge 100 ]; echo $?) \
	"and twenty evaluations, twenty drift reports with their features, and the model events"
if ! cmp -s "${DIRS[3]}/proxy.reads" "${DIRS[3]}/single.reads"; then diff "${DIRS[3]}/proxy.reads" "${DIRS[3]}/single.reads" | head -10 | sed 's/^/# /'; fi

# Features and predictions: every symbol's last 20 feature rows, predicted
# with the champion (by symbol) and with the xgboost model (by id).
pred_sql() {	# pred_sql <db>: feature rows via ap_features on the proxy, the table on one server
	local src
	if [ "$1" = proxy ]; then src="ap_features(s, fs)"; else src="LATERAL (SELECT f.ts, f.x, f.target FROM alphapulse.features f WHERE f.symbol = s AND f.feature_set = fs)"; fi
	cat <<SQL
SELECT s, fs, f.ts, f.x, f.target FROM unnest(string_to_array(trim('$SYMS'), ' ')) s, unnest('{default,mine}'::text[]) fs, $src f ORDER BY 1, 2, 3;
SELECT s, f.ts, ap_predict(s, f.x), ap_predict((SELECT c.model_id FROM alphapulse.champions c WHERE c.symbol = s), f.x)
FROM unnest(string_to_array(trim('$SYMS'), ' ')) s,
	LATERAL (SELECT c.feature_set FROM alphapulse.champions c WHERE c.symbol = s) c(fs),
	LATERAL (SELECT * FROM ${src#LATERAL } f ORDER BY f.ts DESC LIMIT 20) f
ORDER BY 1, 2;
SQL
}
for db in proxy single; do pred_sql "$db" | qf "$P" "$db" >"${DIRS[3]}/$db.pred"; done
is "$(md5sum <"${DIRS[3]}/proxy.pred" | cut -c1-32)" "$(md5sum <"${DIRS[3]}/single.pred" | cut -c1-32)" \
	"feature rows and predictions (champion by symbol, model by id) equal the single server's"
diag "feature and prediction rows compared: $(wc -l <"${DIRS[3]}/proxy.pred")"
if ! cmp -s "${DIRS[3]}/proxy.pred" "${DIRS[3]}/single.pred"; then diff "${DIRS[3]}/proxy.pred" "${DIRS[3]}/single.pred" | head -10 | sed 's/^/# /'; fi
ok $(grep -q '|[0-9.e-]*|[0-9.e-]*$' "${DIRS[3]}/proxy.pred"; echo $?) "the predictions are numbers"

# Indicators over a symbol's bars, computed on its data server.
items="'ap_rsi(close, 14)', 'ap_sma(close, 20)', '(ap_macd(close, 12, 26, 9)).signal', 'ap_atr(high, low, close)', '(ap_bbands(close, 20, 2.5)).upper'"
q "$P" proxy "SELECT s, i.ts, i.indicator, i.value FROM unnest(string_to_array(trim('$SYMS'), ' ')) s,
	ap_indicators(s, ARRAY[$items], '2024-01-05') i ORDER BY 1, 2, 3" >"${DIRS[3]}/proxy.ind"
q "$P" single "SELECT b.symbol, b.ts, i.name, i.v FROM (SELECT symbol, ts, ARRAY[(ap_rsi(close, 14) OVER w)::numeric, (ap_sma(close, 20) OVER w)::numeric,
		((ap_macd(close, 12, 26, 9) OVER w).signal)::numeric, (ap_atr(high, low, close) OVER w)::numeric, ((ap_bbands(close, 20, 2.5) OVER w).upper)::numeric] AS v
	FROM alphapulse.bars WINDOW w AS (PARTITION BY symbol ORDER BY ts)) b,
	unnest(b.v, ARRAY[$items]) i(v, name) WHERE b.ts >= '2024-01-05' ORDER BY 1, 2, 3" >"${DIRS[3]}/single.ind"
is "$(md5sum <"${DIRS[3]}/proxy.ind" | cut -c1-32)" "$(md5sum <"${DIRS[3]}/single.ind" | cut -c1-32)" \
	"ap_indicators through the proxy equals the window functions on one server (warm-up over the whole history)"
is "$(wc -l <"${DIRS[3]}/proxy.ind")" "$((20 * 5 * (NBARS - 96)))" "one row per symbol, bar from since on and indicator"
is "$(sqlstate "$P" proxy "SELECT * FROM ap_indicators('sym00', ARRAY['ap_rsi(close); DROP TABLE alphapulse.bars; --'])")" 22023 \
	"an indicator item that is not a call on bar columns and constants is refused (22023)"
lap "results compared"

# Scoring on arrival, switched on through the proxy: a bar then landed through
# the proxy is scored by the champion on the symbol's server.
rsym=sym07
rport=$(q "$P" proxy "SELECT split_part(split_part(server, 'port=', 2), ' ', 1) FROM ap_proxy_where('$rsym')")
is "$(q "$P" proxy "SELECT ap_realtime('$rsym')")|$(q "$rport" alphapulse "SELECT enabled FROM alphapulse.realtime WHERE symbol = '$rsym'")" "t|t" \
	"ap_realtime through the proxy switches scoring on arrival on, on the symbol's server"
out=$(q "$P" proxy "SELECT ap_load_bars('$rsym', ARRAY[b.ts + interval '1 hour'], ARRAY[b.close], ARRAY[b.close + 1], ARRAY[b.close - 1],
	ARRAY[b.close], ARRAY[1000::numeric]) FROM (SELECT * FROM ap_bars('$rsym') ORDER BY ts DESC LIMIT 1) b")
is "$out|$(q "$P" proxy "SELECT count(*) FROM alphapulse.champion_signals WHERE symbol = '$rsym' AND ts = (SELECT max(ts) FROM ap_bars('$rsym'))")" "1|1" \
	"a bar landed through the proxy is scored on arrival: the champion's signal is in the merged champion_signals"

# Schedules: a symbol's jobs are pg_cron jobs of its data server (two steps,
# on 1 January only, so that none runs during the test).
jsym=sym02
jport=$(q "$P" proxy "SELECT split_part(split_part(server, 'port=', 2), ' ', 1) FROM ap_proxy_where('$jsym')")
jopts='{"ingest_schedule": "0 0 1 1 *", "drift_schedule": "0 0 1 1 *", "retrain_schedule": null, "requests_schedule": null, "prune_schedule": null}'
out=$(q "$P" proxy "SELECT string_agg(step || ' ' || jobname || ' ' || jobid || ' ' || schedule, ',' ORDER BY step) FROM ap_schedule('$jsym', '$jopts')")
is "$out" "$(q "$jport" alphapulse "SELECT string_agg(s.step || ' ' || j.jobname || ' ' || j.jobid || ' ' || j.schedule, ',' ORDER BY s.step)
	FROM alphapulse.jobs s JOIN cron.job j ON j.jobid = s.jobid WHERE s.symbol = '$jsym'")" \
	"ap_schedule through the proxy installs the symbol's pg_cron jobs on its server ($out)"
is "$(for p in "${D[@]}"; do q "$p" alphapulse "SELECT count(*) FROM cron.job WHERE jobname LIKE 'alphapulse\\_${jsym}\\_%'"; done | paste -sd' ')" \
	"$(for p in "${D[@]}"; do if [ "$p" = "$jport" ]; then echo 2; else echo 0; fi; done | paste -sd' ')" \
	"its two jobs are on that server only"
is "$(q "$P" proxy "SELECT ap_run_job('$jsym', 'prune')")|$(q "$jport" alphapulse "SELECT string_agg(step || ':' || status, ' ') FROM alphapulse.job_log WHERE symbol = '$jsym'")" \
	"succeeded|prune:succeeded" "ap_run_job through the proxy runs the step on the symbol's server and logs it there"
is "$(q "$P" proxy "SELECT string_agg(symbol || ':' || step || ':' || coalesce(last_status, '-'), ' ' ORDER BY step) FROM alphapulse.jobs")" \
	"$jsym:drift:- $jsym:ingest:-" "the merged alphapulse.jobs shows the jobs (not run yet)"

# Merged views: each equals the union of the data servers' rows (the view's
# columns read on every server), with the data servers' columns and types
# (models and runs leave out the model bytes and the per-fold detail).
views="assets champions models signals runs champion_signals evaluations model_events drift_reports drift_features retrain_requests realtime jobs"
left_out="'{model,coefficients,feature_stats,model_hmac,splits,fold_metrics,learning_curves,trials}'"
collist() {	# collist <port> <db> <relation>: name type, … (minus the left-out columns)
	q "$1" "$2" "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'alphapulse.$3'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> ALL ($left_out)"
}
union_rows() {	# union_rows <view> <columns>: every data server's rows, sorted
	local p
	for p in "${D[@]}"; do q "$p" alphapulse "SELECT ROW($2)::text FROM alphapulse.$1"; done | LC_ALL=C sort
}
bad_cols="" bad_rows="" sizes=""
for v in $views progress; do
	[ "$(collist "$P" proxy "$v")" = "$(collist "${D[0]}" alphapulse "$v")" ] || bad_cols="$bad_cols $v"
done
for v in $views; do
	cols=$(q "$P" proxy "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'alphapulse.$v'::regclass AND attnum > 0")
	q "$P" proxy "SELECT t::text FROM alphapulse.$v t" | LC_ALL=C sort >"${DIRS[3]}/view.proxy"
	union_rows "$v" "$cols" >"${DIRS[3]}/view.union"
	cmp -s "${DIRS[3]}/view.proxy" "${DIRS[3]}/view.union" || bad_rows="$bad_rows $v"
	sizes="$sizes $v=$(wc -l <"${DIRS[3]}/view.proxy")"
done
is "$bad_cols" "" "every merged view (and progress) has its data servers' columns and types"
is "$bad_rows" "" "every merged view equals the union of the data servers' rows"
diag "rows per merged view:$sizes"
ok $([[ " $sizes " != *"=0 "* ]] || [[ " $sizes " == *" retrain_requests=0 "* && $(grep -o '=0 ' <<<"$sizes " | wc -l) -eq 1 ]]; echo $?) \
	"and the views compared hold rows (retrain requests only when a report drifted)"

# alphapulse.progress, merged: an ap_backtest through the proxy waits for a
# lock held on its server (a session fed through a FIFO), so it is in progress
# while the proxy's view and the data servers' are read.
psym=sym01
pport=$(q "$P" proxy "SELECT split_part(split_part(server, 'port=', 2), ' ', 1) FROM ap_proxy_where('$psym')")
mkfifo "${DIRS[3]}/lock.fifo"
psql -X -qAt -p "$pport" -d alphapulse <"${DIRS[3]}/lock.fifo" >"${DIRS[3]}/lock.out" 2>&1 &
holder=$!
exec 5>"${DIRS[3]}/lock.fifo"
echo "BEGIN; LOCK TABLE alphapulse.features IN ACCESS EXCLUSIVE MODE; SELECT 'locked';" >&5
ap_wait_until 30 "the lock on alphapulse.features" grep -qx locked "${DIRS[3]}/lock.out"
q "$P" proxy "SELECT sharpe IS NOT NULL FROM ap_backtest('$psym')" >"${DIRS[3]}/blocked.out" &
blocked=$!
ap_wait_sql 30 "SELECT count(*) = 1 FROM alphapulse.progress WHERE symbol = '$psym' AND function = 'ap_backtest'" -h 127.0.0.1 -p "$P" -d proxy
ok $? "the proxy's alphapulse.progress shows the backtest waiting on its data server"
pcols="pid, username, symbol, function, phase, step, steps, rows, started"
is "$(q "$P" proxy "SELECT ROW($pcols)::text FROM alphapulse.progress" | LC_ALL=C sort)" "$(union_rows progress "$pcols")" \
	"alphapulse.progress through the proxy equals the union of the data servers' (elapsed and remaining aside)"
is "$(q "$pport" alphapulse "SELECT symbol || ' ' || function FROM alphapulse.progress")" "$psym ap_backtest" "the call runs on the symbol's server"
echo "ROLLBACK;" >&5
exec 5>&-
wait "$blocked" "$holder"
is "$(cat "${DIRS[3]}/blocked.out")" t "the backtest completes once the lock is released"
ap_wait_sql 30 "SELECT count(*) = 0 FROM alphapulse.progress" -h 127.0.0.1 -p "$P" -d proxy
ok $? "and alphapulse.progress is empty again"
is "$(q "$P" proxy "SELECT ap_unschedule('$jsym')")|$(q "$jport" alphapulse "SELECT count(*) FROM cron.job WHERE jobname LIKE 'alphapulse\\_${jsym}\\_%'")" "2|0" \
	"ap_unschedule through the proxy removes them on the symbol's server"
rep=$(q "$P" proxy "SELECT md5(ap_report('$jsym', 200, 50)) || ' ' || length(ap_report('$jsym', 200, 50))")
is "$rep" "$(q "$jport" alphapulse "SELECT md5(ap_report('$jsym', 200, 50)) || ' ' || length(ap_report('$jsym', 200, 50))")" \
	"ap_report through the proxy is the report its server writes (${rep#* } characters)"
lap "merged views and progress"

# Models over time: export where the model is (by id), import where the
# bundle's symbol is (or the symbol given), retention on every server.
xsym=sym04 isym=$(q "$P" proxy "SELECT s FROM unnest(string_to_array(trim('$SYMS'), ' ')) s, ap_proxy_where(s) w
	WHERE w.server <> (SELECT server FROM ap_proxy_where('sym04')) ORDER BY 1 LIMIT 1")
xport=$(q "$P" proxy "SELECT split_part(split_part(server, 'port=', 2), ' ', 1) FROM ap_proxy_where('$xsym')")
iport=$(q "$P" proxy "SELECT split_part(split_part(server, 'port=', 2), ' ', 1) FROM ap_proxy_where('$isym')")
xid=$(q "$P" proxy "SELECT min(id) FROM alphapulse.models WHERE symbol = '$xsym'")
q "$P" proxy "SELECT ap_export_model($xid)" >"${DIRS[3]}/bundle.json"
is "$(q "$xport" alphapulse "SELECT ap_export_model($xid) - 'source' = \$b\$$(cat "${DIRS[3]}/bundle.json")\$b\$::jsonb - 'source'")" t \
	"ap_export_model through the proxy finds the model's server: the bundle equals the one exported there (its source and time aside)"
ids=$(q "$P" proxy "SELECT ap_import_model(\$b\$$(cat "${DIRS[3]}/bundle.json")\$b\$::jsonb) || ' ' || ap_import_model(\$b\$$(cat "${DIRS[3]}/bundle.json")\$b\$::jsonb, '$isym')")
is "$(q "$xport" alphapulse "SELECT symbol || ':' || stage FROM alphapulse.models WHERE id = ${ids% *}")|$(q "$iport" alphapulse "SELECT symbol || ':' || stage FROM alphapulse.models WHERE id = ${ids#* }")" \
	"$xsym:challenger|$isym:challenger" "ap_import_model through the proxy registers the bundle on its symbol's server, or on the given symbol's ($ids)"
prune_opts='{"dry_run": true, "signals": "1 microsecond", "archived_models": "1 microsecond", "unexported_models": true, "drift_reports": "1 microsecond"}'
direct=$(for p in "${D[@]}"; do q "$p" alphapulse "SELECT relation || '|' || deleted FROM ap_prune(NULL, '$prune_opts')"; done | LC_ALL=C sort | awk -F'|' '{ s[$1] += $2 } END { for (r in s) print r "=" s[r] }' | LC_ALL=C sort | paste -sd' ')
proxied=$(q "$P" proxy "SELECT relation || '=' || deleted FROM ap_prune(NULL, '$prune_opts')" | LC_ALL=C sort | paste -sd' ')
is "$proxied" "$direct" "ap_prune(NULL) through the proxy runs on every server and sums per relation (dry run)"
ok $([[ $proxied =~ alphapulse.signals=[1-9][0-9]{3,} ]]; echo $?) "and the dry run counts the servers' signals"
is "$(q "$P" proxy "SELECT relation || '=' || deleted FROM ap_prune('$xsym', '$prune_opts')" | LC_ALL=C sort | paste -sd' ')" \
	"$(q "$xport" alphapulse "SELECT relation || '=' || deleted FROM ap_prune('$xsym', '$prune_opts')" | LC_ALL=C sort | paste -sd' ')" \
	"ap_prune(symbol) through the proxy runs on the symbol's server"
real_opts='{"signals": "1 microsecond", "archived_models": null, "runs": null, "drift_reports": null}'
would=$(q "$P" proxy "SELECT deleted FROM ap_prune(NULL, '$real_opts'::jsonb || '{\"dry_run\": true}') WHERE relation = 'alphapulse.signals'")
signals() { for p in "${D[@]}"; do q "$p" alphapulse "SELECT count(*) FROM alphapulse.signals"; done | paste -sd+ | bc; }
before=$(signals)
is "$(q "$P" proxy "SELECT deleted FROM ap_prune(NULL, '$real_opts') WHERE relation = 'alphapulse.signals'") $(signals)" "$would $((before - would))" \
	"a real prune through the proxy deletes on every server the signals its dry run counted ($would of $before)"
ok $([ "${would:-0}" -gt 1000 ]; echo $?) "and that is most of them"
lap "export, import, prune"

# Feeds through the proxy: added where the symbol is, found by name.
out=$(qf "$P" proxy -c "SELECT ap_add_feed('f_sym03', 'price', 'binance', 'https://example.com/api/v3/klines?symbol=X', 'sym03')" \
	-c "SELECT ap_ingest('f_sym03') > 0")
is "$out" "
t" "ap_add_feed routes by symbol and ap_ingest finds the feed's server"
is "$(q "$P" proxy "SELECT name || ':' || symbol FROM alphapulse.feed_status")" "f_sym03:sym03" \
	"alphapulse.feed_status through the proxy shows the feed"
is "$(placed feeds)" "$(echo "$want_place" | tr ' ' '\n' | grep '^sym03:')" "the feed lives on sym03's server"

# Errors keep their SQLSTATE across the proxy.
is "$(sqlstate "$P" proxy "SELECT ap_train(NULL)")" 22004 "a NULL symbol is refused on the proxy (22004)"
is "$(sqlstate "$P" proxy "SELECT ap_train('nosuch')")" "$(sqlstate "$P" single "SELECT ap_train('nosuch')")" \
	"an unknown symbol fails with the data server's SQLSTATE"
is "$(sqlstate "$P" proxy "SELECT ap_promote(123456789)")" "$(sqlstate "$P" single "SELECT ap_promote(123456789)")" \
	"an unknown model id fails with the data server's SQLSTATE"

is "$(sqlstate "$P" proxy "SELECT ap_proxy_set_servers('{}')")" 22023 "a cluster map without servers is refused (22023)"
is "$(sqlstate "$P" proxy "CALL ap_proxy_move_symbol('sym01', 4)")" 22023 "a move to a partition that does not exist is refused (22023)"
is "$(q "$P" proxy "SELECT count(*) FROM ap_proxy_partitions()")" 4 "and the cluster map is unchanged"

# Privileges are the data servers': a reader (alphapulse_reader there, a
# plain login on the proxy) reads and predicts through the proxy, may not train,
# and may not change the cluster map.
for p in "${D[@]}"; do q "$p" alphapulse "CREATE ROLE scale_reader LOGIN IN ROLE alphapulse_reader" >/dev/null; done
q "$P" proxy "CREATE ROLE scale_reader LOGIN" >/dev/null
rq() { PGUSER=scale_reader q "$P" proxy "$1"; }
is "$(rq "SELECT count(*) FROM alphapulse.champions")" 20 "a reader reads the merged champions through the proxy"
ok $(rq "SELECT ap_predict('sym01', x) FROM ap_features('sym01', (SELECT feature_set FROM alphapulse.champions WHERE symbol = 'sym01')) ORDER BY ts DESC LIMIT 1" | grep -qE '^-?[0-9]'; echo $?) \
	"a reader predicts through the proxy"
is "$(PGUSER=scale_reader sqlstate "$P" proxy "SELECT ap_train('sym01')")" 42501 "a reader may not train: the data server refuses (42501)"
is "$(rq "SELECT count(*) FROM ap_backtest_equity('sym01')") $(rq "SELECT count(*) > 0 FROM alphapulse.evaluations")" "$(q "$P" proxy "SELECT count(*) FROM ap_backtest_equity('sym01')") t" \
	"a reader backtests and reads the evaluations through the proxy"
is "$(PGUSER=scale_reader sqlstate "$P" proxy "SELECT ap_evaluate('sym01')")" 42501 "a reader may not evaluate (42501)"
is "$(PGUSER=scale_reader sqlstate "$P" proxy "SELECT ap_proxy_set_servers(ARRAY['host=x'])")" 42501 "a reader may not change the cluster map (42501)"
is "$(PGUSER=scale_reader sqlstate "$P" proxy "CALL ap_proxy_move_symbol('sym01', 0)")" 42501 "a reader may not move a symbol (42501)"

# Moving a symbol: to a partition on another server, with its models, its
# feed (with its secret and queued run) and a drift report with its features.
sym=sym03
from=$(q "$P" proxy "SELECT split_part(split_part(server, 'port=', 2), ' ', 1) FROM ap_proxy_where('$sym')")
q "$from" alphapulse "INSERT INTO alphapulse.feed_secrets VALUES ('f_sym03', '{\"X-Key\": \"k\"}')" >/dev/null
report=$(q "$P" proxy "SELECT ap_drift('$sym', '2024-01-14')")
ok $([[ $report =~ ^[0-9]+$ ]]; echo $?) "ap_drift through the proxy (report $report)" || diag "$report"
extra_sql="SELECT (SELECT count(*) FROM alphapulse.feeds WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.feed_secrets WHERE feed = 'f_sym03')
	|| ' ' || (SELECT count(*) FROM alphapulse.drift_reports WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.drift_features f JOIN alphapulse.drift_reports r ON r.id = f.report_id WHERE r.symbol = '$sym')
	|| ' ' || coalesce((SELECT string_agg(id::text, ',' ORDER BY id) FROM alphapulse.drift_reports WHERE symbol = '$sym'), '')"
extra_before=$(q "$from" alphapulse "$extra_sql")
to_part=$(q "$P" proxy "SELECT min(partition) FROM ap_proxy_partitions() WHERE server NOT LIKE '%port=$from %'")
to=$(q "$P" proxy "SELECT split_part(split_part(server, 'port=', 2), ' ', 1) FROM ap_proxy_partitions() WHERE partition = $to_part")
before=$(q "$P" proxy "SELECT ap_predict('$sym', x) || '|' || ap_predict((SELECT model_id FROM alphapulse.champions WHERE symbol = '$sym'), x) FROM ap_features('$sym', (SELECT feature_set FROM alphapulse.champions WHERE symbol = '$sym')) ORDER BY ts DESC LIMIT 1")
rows_before=$(q "$from" alphapulse "SELECT (SELECT count(*) FROM alphapulse.bars WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.features WHERE symbol = '$sym') || ' ' ||
	(SELECT count(*) FROM alphapulse.models WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.runs WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.signals WHERE symbol = '$sym') || ' ' ||
	(SELECT count(*) FROM alphapulse.evaluations WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.model_events WHERE symbol = '$sym')")
ids_before=$(q "$from" alphapulse "SELECT string_agg(id || stage, ',' ORDER BY id) FROM alphapulse.models WHERE symbol = '$sym'")
out=$(q "$P" proxy "CALL ap_proxy_move_symbol('$sym', $to_part)"); ok $? "CALL ap_proxy_move_symbol('$sym', $to_part): port $from to $to" || diag "$out"
is "$(q "$to" alphapulse "SELECT (SELECT count(*) FROM alphapulse.bars WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.features WHERE symbol = '$sym') || ' ' ||
	(SELECT count(*) FROM alphapulse.models WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.runs WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.signals WHERE symbol = '$sym') || ' ' ||
	(SELECT count(*) FROM alphapulse.evaluations WHERE symbol = '$sym') || ' ' || (SELECT count(*) FROM alphapulse.model_events WHERE symbol = '$sym')")" \
	"$rows_before" "the new server has all of its bars, features, models, runs, signals, evaluations and model events ($rows_before)"
is "$(q "$to" alphapulse "SELECT string_agg(id || stage, ',' ORDER BY id) FROM alphapulse.models WHERE symbol = '$sym'")" "$ids_before" \
	"the models kept their ids and stages"
is "$(q "$to" alphapulse "$extra_sql")" "$extra_before" "the feed, its secret, the drift report and its feature rows moved with their ids ($extra_before)"
is "$(q "$from" alphapulse "$extra_sql")" "0 0 0 0 " "and are gone from the old server"
is "$(for p in "${D[@]}"; do q "$p" alphapulse "SELECT count(*) FROM alphapulse.assets a WHERE a.symbol = '$sym'
	UNION ALL SELECT count(*) FROM alphapulse.bars b WHERE b.symbol = '$sym'" | paste -sd+ | bc; done | paste -sd' ')" \
	"$(for p in "${D[@]}"; do if [ "$p" = "$to" ]; then echo $((NBARS + 1)); else echo 0; fi; done | paste -sd' ')" \
	"after the move the symbol's rows are on the new server only"
is "$(q "$P" proxy "SELECT ap_predict('$sym', x) || '|' || ap_predict((SELECT model_id FROM alphapulse.champions WHERE symbol = '$sym'), x) FROM ap_features('$sym', (SELECT feature_set FROM alphapulse.champions WHERE symbol = '$sym')) ORDER BY ts DESC LIMIT 1")" \
	"$before" "the moved champion predicts the same, by symbol and by id (resealed under the new server's key)"
ok $([[ $before =~ ^-?[0-9][0-9.e+-]*\|-?[0-9][0-9.e+-]*$ ]]; echo $?) "and those predictions are numbers ($before)"
is "$(q "$P" proxy "SELECT partition FROM ap_proxy_where('$sym') WHERE pinned")" "$to_part" "the symbol is pinned to its new partition"
new_id=$(q "$P" proxy "SELECT ap_train('$sym', algorithm => 'ridge')")
is "$(q "$to" alphapulse "SELECT count(*) FROM alphapulse.models WHERE id = $new_id")" 1 "training after the move runs on the new server"
is "$(q "$P" proxy "SELECT count(*) || '/' || count(DISTINCT symbol) FROM alphapulse.champions")" 20/20 "twenty champions after the move"
# a move between two partitions of the same server only pins the symbol
same=$(q "$P" proxy "SELECT s || ' ' || (3 - (hashtext(s) & 3)) FROM unnest(string_to_array(trim('$SYMS'), ' ')) s WHERE hashtext(s) & 3 IN (0, 3) LIMIT 1")
ssym=${same% *} spart=${same#* }
srows=$(q "${D[0]}" alphapulse "SELECT count(*) FROM alphapulse.bars WHERE symbol = '$ssym'")
out=$(q "$P" proxy "CALL ap_proxy_move_symbol('$ssym', $spart)"); ok $? "CALL ap_proxy_move_symbol('$ssym', $spart): partitions 0 and 3 are one server" || diag "$out"
is "$(q "$P" proxy "SELECT partition || ' ' || pinned FROM ap_proxy_where('$ssym')")|$(q "${D[0]}" alphapulse "SELECT count(*) FROM alphapulse.bars WHERE symbol = '$ssym'")" \
	"$spart true|$srows" "the symbol is pinned to the other partition and its rows stay where they were"
lap "symbol moved"

done_testing() { echo "1..$TAPN"; [ "$TAPFAIL" -eq 0 ]; }
done_testing
