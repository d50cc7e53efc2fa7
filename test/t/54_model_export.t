#!/bin/bash
# Issue 12, models over time: ap_export_model on one cluster, ap_import_model
# on another (its own model key, so the seal cannot travel and is made again)
# registers the same model: identical predictions, a new version, a
# challenger when the symbol has a champion; a missing feature set is
# created from the bundle.  Every tampered or hostile bundle is a clean error
# with its SQLSTATE and writes nothing.
. "$(dirname "$0")/sec_lib.sh"
# second_cluster <dir> [db]: start a private cluster on a free port (tried
# again on another port if one is taken meanwhile); sets port2
second_cluster() {
	local try
	for try in 1 2 3 4 5; do
		for _ in $(seq 50); do
			port2=$((59000 + RANDOM % 900))
			(exec 3<>"/dev/tcp/127.0.0.1/$port2") 2>/dev/null || break
		done
		PGBIN=$PGBIN test/bin/cluster.sh start "$1" "$port2" ${2:+"$2"} >/dev/null 2>&1 && return 0
		PGBIN=$PGBIN test/bin/cluster.sh destroy "$1" "$port2" >/dev/null 2>&1	# its conf names the taken port
	done
	return 1
}
src=ap_exp_src_$$
dst=ap_exp_dst_$$
tmp=$(mktemp -d /tmp/ap-export.XXXXXX)
on_exit "rm -rf $tmp"
new_db "$src"

# the other server: a cluster of its own (another data directory, another key)
dir2=$(mktemp -d /tmp/ap-export-c2.XXXXXX)
second_cluster "$dir2" || { echo "Bail out! second cluster did not start"; exit 1; }
on_exit "PGBIN=$PGBIN test/bin/cluster.sh destroy $dir2 $port2"
q2() { PGPORT=$port2 q "$@"; }
PGPORT=$port2 new_db "$dst"
# the SQLSTATE of a statement's error (empty when it succeeds)
state2() { PGPORT=$port2 psql -X -qAt -d "$dst" -c '\set VERBOSITY sqlstate' -c "$1" 2>&1 | sed -n 's/^ERROR: *//p'; }

out=$(qf "$src" -c "SET alphapulse.xgboost_threads = 1" -f - <<'SQL'
CREATE EXTENSION alphapulse;
\i test/fixtures/models/bars.sql
SELECT pg_temp.make_bars('btc', 700, 'b');
SELECT ap_feature_set('mine', '{"features": ["rsi:14", "ret:1", "ret:3", "bb_pctb:20:2.5"], "target": {"horizon": 2, "type": "regression"}}');
SELECT ap_build_features('btc');
SELECT ap_build_features('btc', 'mine');
SELECT ap_train('btc', params => '{"num_round": 25}');
SELECT ap_train('btc', algorithm => 'logistic');
SELECT ap_train('btc', algorithm => 'lasso', feature_set => 'mine');
SELECT ap_train('btc', algorithm => 'ridge', feature_set => 'mine');
SQL
)
ok $? "source: btc with an xgboost champion, logistic, lasso and ridge challengers (two feature sets)" || diag "$out"
out=$(qf "$dst" -p "$port2" -f - <<'SQL'
CREATE EXTENSION alphapulse;
\i test/fixtures/models/bars.sql
SELECT pg_temp.make_bars('btc', 10, 'other');
CREATE TABLE bundles (name text PRIMARY KEY, b jsonb NOT NULL);
GRANT SELECT ON bundles TO PUBLIC;
SQL
)
ok $? "destination cluster: the btc asset, no models, no feature set mine" || diag "$out"

ids=$(q "$src" "SELECT string_agg(id::text, ' ' ORDER BY id) FROM alphapulse.models")
is "$ids" "1 2 3 4" "four models in the source"
for id in $ids; do
	q "$src" "SELECT ap_export_model($id)" >"$tmp/m$id.json"
done
is "$(q "$src" "SELECT count(*) FROM alphapulse.models WHERE exported_at IS NOT NULL")" 4 "export stamps exported_at"
is "$(python3 -c "import json,sys; b=json.load(open('$tmp/m1.json')); print(b['format'], b['format_version'], b['algorithm'], b['n_features'] == len(b['feature_names']) == len(b['feature_set']['feature_names']) == 40, b['feature_set']['name'], 'xgboost' in b['library_versions'], b['source']['model_id'], 'model_hmac' in b)")" \
	"alphapulse-model 1 xgboost True default True 1 False" "the bundle describes itself (format, algorithm, features, library versions, source) and carries no seal"
# the bundle's sha256 is the SHA-256 of its model bytes (checked with Python's hashlib)
is "$(python3 -c "import json,base64,hashlib; b=json.load(open('$tmp/m1.json')); print(hashlib.sha256(base64.b64decode(b['model'])).hexdigest() == b['sha256'])")" True \
	"sha256 in the bundle = hashlib.sha256 of the decoded model bytes"

for id in $ids; do
	echo "INSERT INTO bundles VALUES ('m$id', :'b')" |
		PGPORT=$port2 psql -X -q -d "$dst" -v ON_ERROR_STOP=1 -v b="$(cat "$tmp/m$id.json")" || diag "loading bundle m$id failed"
done
got=$(for id in $ids; do q2 "$dst" "SELECT ap_import_model(b) FROM bundles WHERE name = 'm$id'"; done | tr '\n' ' ')
is "$got" "1 2 3 4 " "the four bundles import on the other cluster"
is "$(q2 "$dst" "SELECT string_agg(version || ':' || algorithm || ':' || stage || ':' || feature_set || ':' || (model_hmac IS NOT NULL), ' ' ORDER BY id) FROM alphapulse.models")" \
	"1:xgboost:champion:default:true 2:logistic:challenger:default:true 3:lasso:challenger:mine:true 4:ridge:challenger:mine:true" \
	"registered as new versions, sealed; the first is champion (btc had none here), the others challengers"
is "$(q2 "$dst" "SELECT spec::text || ' ' || feature_names::text FROM alphapulse.feature_sets WHERE name = 'mine'")" \
	"$(q "$src" "SELECT spec::text || ' ' || feature_names::text FROM alphapulse.feature_sets WHERE name = 'mine'")" \
	"the missing feature set was created with the bundle's spec"
is "$(q2 "$dst" "SELECT count(*) FROM alphapulse.models d WHERE d.imported_from->'source'->>'model_id' = d.id::text")" 4 \
	"imported_from records the source model"
if [ "$(q2 "$dst" "SELECT to_regclass('alphapulse.model_events') IS NOT NULL")" = t ]; then
	is "$(q2 "$dst" "SELECT string_agg(model_id || ':' || (details->>'model_id'), ' ' ORDER BY model_id) FROM alphapulse.model_events WHERE event = 'imported'")" \
		"1:1 2:2 3:3 4:4" "each import is an 'imported' event in alphapulse.model_events, with the source model"
fi
hm_src=$(q "$src" "SELECT encode(model_hmac, 'hex') FROM alphapulse.models WHERE id = 1")
hm_dst=$(q2 "$dst" "SELECT encode(model_hmac, 'hex') FROM alphapulse.models WHERE id = 1")
ok $([ -n "$hm_dst" ] && [ "$hm_src" != "$hm_dst" ]; echo $?) "the seal was made again under the other cluster's key"

# identical predictions on feature vectors of the source
for id in $ids; do
	vecs=$(q "$src" "SELECT string_agg(quote_literal(f.x::text), ',' ORDER BY f.ts) FROM (SELECT x, ts FROM alphapulse.features f
		JOIN alphapulse.models m ON m.id = $id AND f.feature_set = m.feature_set AND f.symbol = m.symbol
		WHERE f.x IS NOT NULL ORDER BY f.ts DESC LIMIT 6) f")
	sql="SELECT string_agg(ap_predict($id::bigint, v::float8[])::text, ' ' ORDER BY o) FROM unnest(ARRAY[$vecs]) WITH ORDINALITY AS u(v, o)"
	want=$(q "$src" "$sql")
	ok $([[ $want =~ ^[-0-9.e\ ]+$ ]]; echo $?) "model $id predicts in the source: $(echo "$want" | cut -c1-60)"
	is "$(q2 "$dst" "$sql")" "$want" "model $id: the imported model predicts exactly the same on 6 vectors"
done
is "$(q2 "$dst" "SELECT ap_import_model(b) FROM bundles WHERE name = 'm1'") $(q2 "$dst" "SELECT version || stage FROM alphapulse.models ORDER BY id DESC LIMIT 1")" \
	"5 5challenger" "importing again registers another version"

# tampering: each is an error with its SQLSTATE and leaves the registry as it was
count_all="SELECT (SELECT count(*) FROM alphapulse.models) || '/' || (SELECT count(*) FROM alphapulse.feature_sets)"
before=$(q2 "$dst" "$count_all")
tamper() {	# tamper <sqlstate> <description> <jsonb expression over b (the good xgboost bundle) or l (lasso)> [message part]
	local e
	e=$(PGPORT=$port2 psql -X -qAt -d "$dst" -c '\set VERBOSITY verbose' \
		-c "SELECT ap_import_model($3) FROM (SELECT b FROM bundles WHERE name = 'm1') x, (SELECT b AS l FROM bundles WHERE name = 'm3') y" 2>&1)
	is "$(echo "$e" | sed -n 's/^ERROR: *\([0-9A-Z]*\):.*/\1/p')" "$1" "$2: SQLSTATE $1"
	[ -z "${4:-}" ] || is "$(echo "$e" | grep -c -- "$4")" 1 "$2: the error says \"$4\""
}
b64flip="regexp_replace(b->>'model', '^(.{200}).', '\\1' || CASE WHEN substr(b->>'model', 201, 1) = 'A' THEN 'B' ELSE 'A' END)"
tamper 22023 "model bytes changed (sha256 kept)" "jsonb_set(b, '{model}', to_jsonb($b64flip))" "do not match their sha256"
tamper 22023 "model bytes truncated and sha256 recomputed" \
	"jsonb_set(jsonb_set(b, '{model}', to_jsonb(encode(substr(decode(b->>'model', 'base64'), 1, 300), 'base64'))), '{sha256}', to_jsonb(encode(sha256(substr(decode(b->>'model', 'base64'), 1, 300)), 'hex')))" "malformed"
tamper 22023 "model bytes with a tree's child index out of range, sha256 recomputed" \
	"jsonb_set(jsonb_set(b, '{model}', to_jsonb(translate(encode(overlay(decode(b->>'model', 'base64') placing '\\x7fffffff'::bytea from position('left_children'::bytea in decode(b->>'model', 'base64')) + 30), 'base64'), E'\\n', ''))), '{sha256}', to_jsonb(encode(sha256(overlay(decode(b->>'model', 'base64') placing '\\x7fffffff'::bytea from position('left_children'::bytea in decode(b->>'model', 'base64')) + 30)), 'hex')))" "malformed"
tamper 22023 "sha256 changed" "jsonb_set(b, '{sha256}', to_jsonb(repeat('0', 64)))" "do not match their sha256"
tamper 22023 "model not base64" "jsonb_set(b, '{model}', '\"***not base64***\"')"
tamper 22023 "n_features changed" "jsonb_set(b, '{n_features}', '39')" "feature count"
tamper 22023 "a feature name removed" "jsonb_set(jsonb_set(b, '{feature_names}', (b->'feature_names') - 0), '{n_features}', '39')"
tamper 22023 "a feature name renamed" "jsonb_set(b, '{feature_names,0}', '\"rsi_15\"')"
tamper 55006 "the feature set of that name here has another target horizon" "jsonb_set(l, '{feature_set,horizon}', '3')"
tamper 55006 "the feature set of that name here has other features" \
	"jsonb_set(jsonb_set(jsonb_set(jsonb_set(l, '{feature_set,features,0}', '\"rsi:15\"'), '{feature_set,feature_names,0}', '\"rsi_15\"'), '{feature_names,0}', '\"rsi_15\"'), '{feature_set,spec,features,0}', '\"rsi:15\"')"
tamper 22023 "a consistent 39-feature bundle around the 40-feature XGBoost model, sha256 kept" \
	"jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(b, '{feature_set,name}', '\"shorter\"'),
		'{feature_set,spec,features}', (b->'feature_set'->'features') - -1), '{feature_set,features}', (b->'feature_set'->'features') - -1),
		'{feature_set,feature_names}', (b->'feature_names') - -1), '{feature_names}', (b->'feature_names') - -1),
		'{n_features}', '39'), '{feature_stats}', (b->'feature_stats') - -1)" "malformed"
tamper 22023 "feature_stats one short" "jsonb_set(b, '{feature_stats}', (b->'feature_stats') - 0)" "feature_stats"
tamper 22023 "feature_stats holding a string" "jsonb_set(b, '{feature_stats,0,mean}', '\"x\"')" "feature_stats"
tamper 22023 "lasso coefficients: a scale of 0, sha256 recomputed" \
	"jsonb_set(jsonb_set(l, '{coefficients,scale,0}', '0'), '{sha256}', to_jsonb(encode(sha256(convert_to(jsonb_set(l->'coefficients', '{scale,0}', '0')::text, 'UTF8')), 'hex')))" "scale not positive"
tamper 22023 "lasso coefficients: one coefficient short, sha256 recomputed" \
	"jsonb_set(jsonb_set(l, '{coefficients,coef}', (l->'coefficients'->'coef') - 0), '{sha256}', to_jsonb(encode(sha256(convert_to(jsonb_set(l->'coefficients', '{coef}', (l->'coefficients'->'coef') - 0)::text, 'UTF8')), 'hex')))" "does not have"
tamper 22023 "lasso coefficients: a string among the numbers" \
	"jsonb_set(l, '{coefficients,coef,0}', '\"1e999\"')"
tamper 22023 "n_rounds out of integer range" "jsonb_set(b, '{n_rounds}', '1e400')" "n_rounds"
tamper 22023 "n_rounds not an integer" "jsonb_set(b, '{n_rounds}', '2.5')" "n_rounds"
tamper 22023 "unknown format version" "jsonb_set(b, '{format_version}', '2')"
tamper 22023 "not a bundle at all" "'{\"format\": \"something-else\"}'::jsonb"
tamper 22023 "an array" "'[1, 2, 3]'::jsonb"
tamper 22004 "null" "NULL::jsonb"
tamper 22023 "windows out of order" "jsonb_set(b, '{train_from}', to_jsonb('2030-01-01'::text))"
tamper 22023 "a window that is not a timestamp" "jsonb_set(b, '{holdout_to}', '\"yesterday-ish\"')"
tamper 22023 "unknown algorithm" "jsonb_set(b, '{algorithm}', '\"svm\"')"
tamper 22023 "metrics of the wrong type" "jsonb_set(b, '{metrics}', '\"good\"')"
tamper 22023 "a hostile symbol" "jsonb_set(b, '{symbol}', to_jsonb('btc''; DROP TABLE alphapulse.models; --'::text))"
tamper 42704 "a symbol this server does not have" "jsonb_set(b, '{symbol}', '\"doge\"')"
for key in format format_version symbol algorithm task params feature_set feature_names n_features \
	train_from train_to holdout_from holdout_to metrics feature_stats sha256 model; do
	tamper 22023 "\"$key\" missing" "b - '$key'"
done
for key in name spec features feature_names horizon target_kind threshold; do
	tamper 22023 "\"feature_set.$key\" missing" "b #- '{feature_set,$key}'"
done
tamper 22023 "a feature set name ap_feature_set refuses" \
	"jsonb_set(b, '{feature_set,name}', '\"Robert''); DROP TABLE x; --\"')"
q2 "$dst" "ALTER DATABASE $dst SET alphapulse.max_import_bytes = '1MB'" >/dev/null
tamper 54000 "a bundle larger than alphapulse.max_import_bytes (1 MB here)" \
	"jsonb_set(b, '{params,padding}', to_jsonb(repeat('x', 2000000)))"
tamper 22023 "deeply nested params (accepted by jsonb) with a broken hash" \
	"jsonb_set(jsonb_set(b, '{params,deep}', (repeat('[', 5000) || repeat(']', 5000))::jsonb), '{sha256}', '\"x\"')"
is "$(q2 "$dst" "$count_all")" "$before" "no failed import wrote a model or a feature set"
# the size limit is a superuser setting
PGPORT=$port2 q "$dst" "CREATE ROLE ap_exp_w_$$ LOGIN IN ROLE alphapulse_writer; CREATE ROLE ap_exp_n_$$ LOGIN" >/dev/null
on_exit "PGPORT=$port2 psql -X -q -d postgres -c 'DROP ROLE IF EXISTS ap_exp_w_$$' -c 'DROP ROLE IF EXISTS ap_exp_n_$$'"
is "$(PGPORT=$port2 PGUSER=ap_exp_w_$$ psql -X -qAt -d "$dst" -c '\set VERBOSITY sqlstate' -c "SET alphapulse.max_import_bytes = '10GB'" 2>&1 | sed -n 's/^ERROR: *//p')" 42501 \
	"a writer cannot raise alphapulse.max_import_bytes"
id=$(PGPORT=$port2 PGUSER=ap_exp_w_$$ psql -X -qAt -d "$dst" -c "SELECT ap_import_model(b) FROM bundles WHERE name = 'm2'" 2>&1)
is "$(q2 "$dst" "SELECT version || ' ' || algorithm FROM alphapulse.models WHERE id = '$id'")" "6 logistic" \
	"a writer imports a model (version 6)"
is "$(PGPORT=$port2 PGUSER=ap_exp_n_$$ psql -X -qAt -d "$dst" -c '\set VERBOSITY sqlstate' -c "SELECT ap_import_model('{}')" 2>&1 | sed -n 's/^ERROR: *//p')" 42501 \
	"a role outside alphapulse_writer may not import"
done_testing
