#!/bin/bash
# Issue 12, upgrades: a database made by AlphaPulse 0.1.0 and filled (bars,
# feeds, feature sets and features, a champion and a challenger with their
# runs, signals, news) is updated with ALTER EXTENSION alphapulse UPDATE; it
# must then have exactly the objects of a fresh 0.2.0 install (every member's
# definition, columns, constraints, indexes, triggers, views, grants,
# comments, dump registrations: test/fixtures/upgrade/catalog.sql reads them
# from the catalog, so an object any part adds is compared too), the rows the
# extension itself makes equal, every user row unchanged, and the models
# predict what they predicted before.
#
# The 0.1.0 install script runs against this build's library (as after an
# operator installs the new package and before the UPDATE), whose ap_train
# and ap_predict already need 0.2.0's columns; so the models are trained in a
# 0.2.0 "donor" database and copied in as 0.1.0 rows (no seal), with their
# runs and signals.  Their predictions before the update are the donor's, on
# the very same bytes; the ridge model's is also computed in plain SQL from
# its coefficients.
. "$(dirname "$0")/sec_lib.sh"
old=ap_upg_old_$$
fresh=ap_upg_fresh_$$
donor=ap_upg_donor_$$
new_db "$old"
new_db "$fresh"
new_db "$donor"
tmp=$(mktemp -d /tmp/ap-upgrade.XXXXXX)
on_exit "rm -rf $tmp"

is "$(q "$old" "CREATE EXTENSION alphapulse VERSION '0.1.0'; SELECT extversion FROM pg_extension WHERE extname = 'alphapulse'")" \
	0.1.0 "CREATE EXTENSION alphapulse VERSION '0.1.0'"

# The same bars and feature sets in both; models trained in the donor.
fill=$tmp/fill.sql
cat >"$fill" <<'SQL'
\i test/fixtures/models/bars.sql
SELECT pg_temp.make_bars('btc', 700, 'b');
SELECT pg_temp.make_bars('eth', 400, 'e');
SELECT ap_feature_set('mine', '{"features": ["rsi:14", "ret:1", "ret:3"], "target": {"horizon": 2, "type": "regression"}}');
SQL
build=$tmp/build.sql
printf '%s\n' "SELECT ap_build_features('btc');" "SELECT ap_build_features('eth', 'mine');" >"$build"
out=$(qf "$old" -f "$fill" -f - <<'SQL'
UPDATE alphapulse.assets SET description = 'bitcoin, "quoted"' WHERE symbol = 'btc';
INSERT INTO alphapulse.feeds (name, kind, format, url, symbol, options, cursor_ts, rows_landed)
VALUES ('btc_bn', 'price', 'binance', 'https://api.binance.com/api/v3/klines?symbol=BTCUSDT', 'btc',
		'{"page_size": 500}', '2024-01-02 00:00+00', 700),
	   ('news1', 'news', 'rss', 'https://example.com/rss.xml', NULL, '{"keywords": {"bitcoin": "btc"}}', NULL, 1);
INSERT INTO alphapulse.feed_secrets VALUES ('btc_bn', '{"X-MBX-APIKEY": "k3y"}');
INSERT INTO alphapulse.feed_runs (feed, started, finished, url, http_status, rows_landed, message, via)
VALUES ('btc_bn', '2024-01-02 00:00+00', '2024-01-02 00:00:01+00', 'https://api.binance.com/x', 200, 700, NULL, 'now'),
	   ('news1', '2024-01-02 00:00+00', '2024-01-02 00:00:02+00', 'https://example.com/rss.xml', 503, 0, 'HTTP 503', 'worker');
INSERT INTO alphapulse.news (guid, feed, title, link, published, summary, source, symbols)
VALUES ('g1', 'news1', 'Bitcoin surges to a record high', 'https://example.com/1', '2024-01-01 12:00+00', 'It rose.', 'Example', '{btc}'),
	   ('g2', 'news1', 'Ether slumps', 'https://example.com/2', '2024-01-01 13:00+00', NULL, 'Example', '{eth}');
INSERT INTO alphapulse.feed_queue (feed) VALUES ('btc_bn');
SQL
)
ok $? "0.1.0 database filled: bars, feeds, a secret, feed runs, news, a queued run, feature sets" || diag "$out"
out=$(qf "$donor" -c "SET alphapulse.xgboost_threads = 1" -c "CREATE EXTENSION alphapulse" -f "$fill" -f "$build" \
	-c "SELECT ap_train('btc', params => '{\"num_round\": 15}')" \
	-c "SELECT ap_train('btc', algorithm => 'ridge')" \
	-c "SELECT ap_train('eth', algorithm => 'lasso', feature_set => 'mine')" \
	-c "SELECT ap_score('btc')" -c "SELECT ap_score('eth')")
ok $? "donor 0.2.0 database: an xgboost champion and a ridge challenger for btc, a lasso champion for eth, signals" || diag "$out"

# Copy models, runs and signals into the 0.1.0 database with 0.1.0's columns.
copy() {	# copy <table>: the columns the 0.1.0 table has, from donor to old
	local cols
	cols=$(q "$old" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'alphapulse.$1'::regclass AND attnum > 0 AND NOT attisdropped")
	psql -X -q -d "$donor" -c "\\copy (SELECT $cols FROM alphapulse.$1 ORDER BY 1) TO '$tmp/$1.copy'" &&
	psql -X -q -d "$old" -v ON_ERROR_STOP=1 -c "\\copy alphapulse.$1 ($cols) FROM '$tmp/$1.copy'"
}
# features too: this build's ap_build_features needs 0.2.0's tables
out=$( { copy features && copy runs && copy models && copy signals &&
	q "$old" "SELECT setval('alphapulse.models_id_seq', (SELECT max(id) FROM alphapulse.models)),
		setval('alphapulse.runs_id_seq', (SELECT max(id) FROM alphapulse.runs))"; } 2>&1)
ok $? "features, models (unsealed, as 0.1.0 wrote them), runs and signals copied into the 0.1.0 database" || diag "$out"
is "$(q "$old" "SELECT string_agg(symbol || ':' || algorithm || ':' || stage, ' ' ORDER BY id) FROM alphapulse.models")" \
	"btc:xgboost:champion btc:ridge:challenger eth:lasso:champion" "the 0.1.0 registry holds the three models"

# Before the update: every table's rows (text of all columns), sequences, and
# the predictions of every model on three feature vectors of its symbol.
tables=$(q "$old" "SELECT c.oid::regclass FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
	WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'alphapulse') AND c.relkind IN ('r', 'S')
	ORDER BY 1::text")
digest() {	# digest <db> <table> <column list>
	q "$1" "SELECT count(*) || ' ' || coalesce(md5(string_agg(r::text, E'\n' ORDER BY r::text)), '-')
		FROM (SELECT $3 FROM $2) r"
}
declare -A before cols
for t in $tables; do
	cols[$t]=$(q "$old" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = '$t'::regclass AND attnum > 0 AND NOT attisdropped")
	before[$t]=$(digest "$old" "$t" "${cols[$t]}")
done
preds() {	# preds <db>: every model's prediction on its symbol's last three complete feature rows
	q "$1" "SELECT string_agg(m.id || ':' || f.ts || ':' || ap_predict(m.id, f.x), ' ' ORDER BY m.id, f.ts)
		FROM alphapulse.models m CROSS JOIN LATERAL (SELECT ts, x FROM alphapulse.features f
			WHERE f.symbol = m.symbol AND f.feature_set = m.feature_set AND f.target IS NOT NULL
			ORDER BY ts DESC LIMIT 3) f"
}
want=$(preds "$donor")
ok $([ -n "$want" ]; echo $?) "predictions before the update (the donor's, same model bytes): $(echo "$want" | cut -c1-80)..."
# ridge by hand: intercept + sum coef * (x - mean) / scale (clip01 never bites a regression)
sqlridge="SELECT round(((m.coefficients->>'intercept')::float8 + sum((c.v::float8) * (f.x[c.i] - (m.coefficients->'mean'->>(c.i::int - 1))::float8)
		/ (m.coefficients->'scale'->>(c.i::int - 1))::float8))::numeric, 10)
	FROM alphapulse.models m, LATERAL (SELECT x FROM alphapulse.features f WHERE f.symbol = m.symbol
		AND f.feature_set = m.feature_set ORDER BY ts DESC LIMIT 1) f,
		jsonb_array_elements_text(m.coefficients->'coef') WITH ORDINALITY c(v, i)
	WHERE m.algorithm = 'lasso' GROUP BY m.id, m.coefficients"
byhand=$(q "$old" "$sqlridge")
ok $([[ $byhand =~ ^-?[0-9] ]]; echo $?) "the lasso model's prediction by hand: $byhand"

out=$(q "$old" "ALTER EXTENSION alphapulse UPDATE" 2>&1)
ok $? "ALTER EXTENSION alphapulse UPDATE" || diag "$out"
is "$(q "$old" "SELECT extversion FROM pg_extension WHERE extname = 'alphapulse'")" \
	"$(q "$fresh" "CREATE EXTENSION alphapulse; SELECT extversion FROM pg_extension WHERE extname = 'alphapulse'")" \
	"the updated extension has the fresh install's version"

# The objects: the same lines in both databases.
psql -X -q -d "$old" -f test/fixtures/upgrade/catalog.sql >"$tmp/old.txt" 2>&1
psql -X -q -d "$fresh" -f test/fixtures/upgrade/catalog.sql >"$tmp/fresh.txt" 2>&1
n=$(grep -c '^member ' "$tmp/fresh.txt")
ok $([ "$n" -gt 100 ] && ! grep -q ERROR "$tmp/fresh.txt" "$tmp/old.txt"; echo $?) "the catalog listing ran ($n members)"
for kind in member function relation column constraint index trigger view sequence type schema config_dump extension policy rule default_acl; do
	is "$(diff <(grep "^$kind " "$tmp/old.txt") <(grep "^$kind " "$tmp/fresh.txt"))" "" "upgraded = fresh install: $kind lines"
done
d=$(diff "$tmp/old.txt" "$tmp/fresh.txt")
is "$d" "" "upgraded = fresh install: the whole listing, line for line"

# Rows the extension makes (those the dump conditions leave out: the built-in
# feature set, the built-in lexicon) are the same, timestamps aside.
made=$(q "$fresh" "SELECT x.rel::regclass || '|' || x.cond FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS x(rel, cond)
	WHERE e.extname = 'alphapulse' AND x.cond <> '' ORDER BY 1")
ok $([ -n "$made" ]; echo $?) "tables with extension-made rows: $(echo $made | cut -d'|' -f1)"
while IFS='|' read -r t cond; do
	c=$(q "$fresh" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = '$t'::regclass AND attnum > 0 AND NOT attisdropped AND atttypid <> 'timestamptz'::regtype")
	w="WHERE NOT (${cond#WHERE })"
	is "$(digest "$old" "$t $w" "$c")" "$(digest "$fresh" "$t $w" "$c")" "$t: the extension's own rows equal a fresh install's"
done <<<"$made"

# User data unchanged: the 0.1.0 columns of every table, row for row.
for t in $tables; do
	is "$(digest "$old" "$t" "${cols[$t]}")" "${before[$t]}" "$t: rows unchanged by the update"
done
is "$(q "$old" "SELECT count(*) FILTER (WHERE model_hmac IS NOT NULL) || '/' || count(*) FROM alphapulse.models")" "3/3" \
	"the update sealed the 0.1.0 models"
is "$(preds "$old")" "$want" "every model predicts what it did before the update"
is "$(q "$old" "$sqlridge")" "$byhand" "the lasso model's prediction, computed by hand from its coefficients, unchanged ($byhand)"
is "$(q "$old" "SELECT round(ap_predict('eth', x)::numeric, 10) FROM alphapulse.features WHERE symbol = 'eth' AND feature_set = 'mine' ORDER BY ts DESC LIMIT 1")" \
	"$byhand" "ap_predict of the eth champion equals the hand computation"
is "$(q "$old" "SELECT count(*) FROM alphapulse.signals WHERE model_id = 1") $(q "$old" "SELECT ap_score('btc', '2024-01-20')") $(digest "$old" alphapulse.signals 'symbol, ts, model_id, score, signal')" \
	"$(q "$donor" "SELECT count(*) FROM alphapulse.signals WHERE model_id = 1") $(q "$donor" "SELECT ap_score('btc', '2024-01-20')") $(digest "$donor" alphapulse.signals 'symbol, ts, model_id, score, signal')" \
	"ap_score after the update writes the signals the donor's champion writes"
# a model trained under 0.1.0 moves to another database through a bundle
b=$(q "$old" "SELECT ap_export_model(1)")
echo "INSERT INTO alphapulse.assets (symbol) VALUES ('btc'); SELECT ap_import_model(:'b');" |
	psql -X -qAt -d "$fresh" -v ON_ERROR_STOP=1 -v b="$b" >/dev/null 2>&1
x=$(q "$old" "SELECT x FROM alphapulse.features WHERE symbol = 'btc' AND feature_set = 'default' ORDER BY ts DESC LIMIT 1")
is "$(q "$fresh" "SELECT ap_predict('btc', '$x'::float8[])")" "$(q "$old" "SELECT ap_predict(1::bigint, '$x'::float8[])")" \
	"the 0.1.0 champion, exported after the update and imported into a fresh install, predicts the same"
id=$(q "$old" "SELECT ap_train('eth', algorithm => 'ridge', feature_set => 'mine')")
is "$id $(q "$old" "SELECT version || ' ' || stage || ' ' || (model_hmac IS NOT NULL) FROM alphapulse.models WHERE id = '$id'")" \
	"4 2 challenger true" "training after the update registers model 4, version 2 of eth, sealed"
done_testing
