#!/bin/bash
# Issue 7: the role matrix, SQL injection through every text argument, and
# finding 8 (the failed-run log flood).
#  1. Logins in no role and in each AlphaPulse role try every function (from
#     pg_depend), table, view, sequence and the schema; the outcomes equal
#     test/fixtures/roles/matrix.txt, written from the intended policy.
#  2. 200 failing ap_train calls by a role without grants get 42501 and
#     start no worker; a writer's are logged, with workers bounded by
#     alphapulse.run_log_rate (counted in the server log).
#  3. Every function taking text, text[] or jsonb is called with each value
#     of test/fixtures/roles/hostile.txt in each such argument, by every role
#     that may call it: the canary table survives, no role gains a
#     membership, no error is internal (XX000), the server never restarts.
# The extension lives in schema apx here, not public: the functions find
# their own schema, whatever the caller's search_path.
. "$(dirname "$0")/sec_lib.sh"
db=ap_roles_$$
fx=$TOP/test/fixtures/roles
roles="r_none r_reader r_writer r_admin"
tmp=$(mktemp -d /tmp/ap-roles.XXXXXX)
chmod 755 "$tmp"
on_exit "rm -rf $tmp"
new_db "$db"
for r in $roles; do
	q postgres "DROP ROLE IF EXISTS $r" >/dev/null
	on_exit "psql -X -q -d postgres -c 'DROP ROLE IF EXISTS $r'"
done
# drop the roles' objects and grants before the roles themselves
on_exit "psql -X -q -d $db -c 'DROP OWNED BY r_none, r_reader, r_writer, r_admin CASCADE'"
start_time=$(q postgres "SELECT pg_postmaster_start_time()")
log=$(server_log)
log_start=$(if [ -n "$log" ]; then stat -c %s "$log"; else echo 0; fi)

out=$(qf "$db" -f - <<'SQL'
CREATE SCHEMA apx;
GRANT USAGE ON SCHEMA apx TO PUBLIC;
CREATE EXTENSION alphapulse SCHEMA apx;
CREATE ROLE r_none LOGIN;
CREATE ROLE r_reader LOGIN IN ROLE alphapulse_reader;
CREATE ROLE r_writer LOGIN IN ROLE alphapulse_writer;
CREATE ROLE r_admin LOGIN IN ROLE alphapulse_admin;
CREATE TABLE public.canary (v text);
INSERT INTO public.canary VALUES ('alive');
INSERT INTO alphapulse.assets (symbol) VALUES ('btc');
-- outcome of one statement: ok, or SQLSTATE and a one-line message
CREATE FUNCTION public.t60_try(q text, v text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
	EXECUTE q USING v;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ' ' || translate(left(SQLERRM, 200), E'\n\t|', '   ');
END
$fn$;
-- for privileges that cannot be tried without side effects or are not
-- tried at all (trigger functions, writes to views): 42501 when refused
CREATE FUNCTION public.t60_need(allowed boolean) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
	IF NOT allowed THEN
		RAISE EXCEPTION 'refused' USING ERRCODE = 'insufficient_privilege';
	END IF;
END
$fn$;
-- a harmless value for an argument, by its name, then its type (non-NULL:
-- the planner folds a strict function of a NULL away, privilege check and all)
CREATE FUNCTION public.t60_arg(n text, t regtype, win boolean) RETURNS text LANGUAGE sql AS $fn$
SELECT CASE coalesce(n, '')
	WHEN 'symbol' THEN '''btc''' WHEN 'feature_set' THEN '''default''' WHEN 'mode' THEN '''fast'''
	WHEN 'algorithm' THEN '''ridge''' WHEN 'kind' THEN '''price''' WHEN 'format' THEN '''binance'''
	WHEN 'url' THEN '''http://127.0.0.1:9/x''' WHEN 'feed' THEN '''f_ok''' WHEN 'name' THEN '''f_ok'''
	WHEN 'schedule' THEN '''* * * * *''' WHEN 'body' THEN '''[]''' WHEN 'ma' THEN '''ema'''
	WHEN 'spec' THEN '''{"features": ["rsi:14"]}''::jsonb'
	ELSE CASE t
		WHEN 'text'::regtype THEN '''btc''' WHEN 'text[]'::regtype THEN '''{rsi:14}''::text[]'
		WHEN 'jsonb'::regtype THEN '''{}''::jsonb' WHEN 'double precision[]'::regtype THEN '''{0.1,0.2}''::float8[]'
		WHEN 'timestamp with time zone'::regtype THEN '''2024-01-01''::timestamptz'
		WHEN 'interval'::regtype THEN '''1 hour''::interval'
		WHEN 'numeric'::regtype THEN CASE WHEN win THEN 'i::numeric' ELSE '1::numeric' END
		WHEN 'double precision'::regtype THEN CASE WHEN win THEN 'i::float8' ELSE '0.5::float8' END
		WHEN 'integer'::regtype THEN '14' WHEN 'bigint'::regtype THEN '1::bigint'
		WHEN 'boolean'::regtype THEN 'false'
		-- not NULL: a strict function of a NULL is folded away before its EXECUTE check
		WHEN 'bytea'::regtype THEN '''\x00''::bytea'
		ELSE format('NULL::%s', format_type(t, NULL)) END END
$fn$;
CREATE TABLE public.t60_attempts (id serial PRIMARY KEY, obj text, priv text, q text);
GRANT SELECT ON public.t60_attempts TO PUBLIC;

-- every function of the extension, called with harmless arguments
WITH f AS (
	SELECT p.oid, p.prokind, p.prorettype, n.nspname, p.proname,
		CASE WHEN p.prokind = 'w' THEN 'window ' ELSE 'function ' END
		|| CASE WHEN n.nspname = 'alphapulse' THEN 'alphapulse.' ELSE '' END
		|| p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' AS obj,
		(SELECT coalesce(string_agg(public.t60_arg(p.proargnames[o], t::regtype, p.prokind = 'w'), ', ' ORDER BY o), '')
		 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, o)) AS args
	FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'alphapulse'
)
INSERT INTO public.t60_attempts (obj, priv, q)
SELECT obj, 'EXECUTE',
	CASE WHEN prorettype = 'trigger'::regtype
			THEN format('SELECT public.t60_need(has_function_privilege(%s::oid, ''EXECUTE''))', oid)
		 WHEN prokind = 'w' THEN format('SELECT %I.%I(%s) OVER (ORDER BY i) FROM generate_series(1, 3) i', nspname, proname, args)
		 ELSE format('SELECT * FROM %I.%I(%s)', nspname, proname, args) END
FROM f ORDER BY obj;

-- every table, view and sequence of the extension
WITH r AS (
	SELECT c.oid, c.relkind, c.oid::regclass::text AS rel,
		CASE c.relkind WHEN 'v' THEN 'view ' WHEN 'S' THEN 'sequence ' ELSE 'table ' END || c.oid::regclass::text AS obj
	FROM pg_class c
	JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'alphapulse'
)
INSERT INTO public.t60_attempts (obj, priv, q)
SELECT obj, 'SELECT', CASE WHEN relkind = 'S' THEN format('SELECT last_value FROM %s', rel)
						   ELSE format('SELECT 1 FROM %s LIMIT 0', rel) END FROM r
UNION ALL
SELECT obj, 'USAGE', format('SELECT nextval(%L)', rel) FROM r WHERE relkind = 'S'
UNION ALL
SELECT obj, 'INSERT', format('INSERT INTO %s SELECT (NULL::%s).* WHERE false', rel, rel) FROM r WHERE relkind IN ('r', 'p')
UNION ALL
SELECT r.obj, 'UPDATE', format('UPDATE %s SET %I = NULL WHERE false', r.rel, a.attname)
FROM r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE r.relkind IN ('r', 'p')
UNION ALL
SELECT obj, 'DELETE', format('DELETE FROM %s WHERE false', rel) FROM r WHERE relkind IN ('r', 'p')
UNION ALL
SELECT obj, 'TRUNCATE', format('TRUNCATE %s', rel) FROM r WHERE relkind IN ('r', 'p')
UNION ALL
SELECT obj, p, format('SELECT public.t60_need(has_table_privilege(%L, %L))', rel, p)
FROM r, unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) p WHERE relkind = 'v'
ORDER BY 1, 2;
INSERT INTO public.t60_attempts (obj, priv, q) VALUES
	('schema alphapulse', 'USAGE', 'SELECT public.t60_need(has_schema_privilege(''alphapulse'', ''USAGE''))'),
	('schema alphapulse', 'CREATE', 'CREATE TABLE alphapulse.t60_probe ()');
CREATE TABLE public.t60_results (role text, id integer, result text);
SQL
)
ok $? "setup: extension in schema apx, roles, canary, attempts" || { diag "$out"; done_testing; exit 1; }
diag "$(q "$db" "SELECT count(*) FROM public.t60_attempts") attempts per role"

# Each role tries everything in one transaction that is rolled back.
for r in $roles; do
	PGOPTIONS="-c client_min_messages=error -c statement_timeout=120s" psql -X -qAt -U "$r" -d "$db" \
		-c "BEGIN" -c "SELECT '$r', id, public.t60_try(q) FROM public.t60_attempts ORDER BY id" -c "ROLLBACK" \
		>"$tmp/$r.out" 2>"$tmp/$r.err"
	ok $? "$r tried every object" || diag "$(head -5 "$tmp/$r.err")"
done
cat "$tmp"/r_*.out | tr '|' '\t' >"$tmp/results.tsv"
# matrix.txt as tab-separated rows: pattern, privilege, none, reader, writer, admin
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$fx/matrix.txt" |
	awk -F'|' '{ for (i = 1; i <= 3; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i); split($3, v, /[ \t]+/);
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", $1, $2, v[1], v[2], v[3], v[4] }' >"$tmp/matrix.tsv"
out=$(qf "$db" -c "\\copy public.t60_results FROM '$tmp/results.tsv'" \
	-c "CREATE TABLE public.t60_expected (pattern text, priv text, e_none text, e_reader text, e_writer text, e_admin text)" \
	-c "\\copy public.t60_expected FROM '$tmp/matrix.tsv'")
ok $? "results and matrix.txt loaded" || diag "$out"

# internal errors are bugs, whoever hits them
is "$(q "$db" "SELECT coalesce(string_agg(r.role || ': ' || a.obj || ' ' || a.priv || ': ' || r.result, '; '), 'none')
	FROM public.t60_results r JOIN public.t60_attempts a USING (id) WHERE r.result LIKE 'XX%'")" none \
	"no attempt ends in an internal error (XX...)"

# actual outcome per object, privilege and role: y, n, or c (some columns)
q "$db" "CREATE VIEW public.t60_actual AS
	SELECT a.obj, a.priv, r.role,
		CASE WHEN bool_and(r.result NOT LIKE '42501%') THEN 'y'
			 WHEN bool_or(r.result NOT LIKE '42501%') THEN 'c' ELSE 'n' END AS allowed
	FROM public.t60_attempts a JOIN public.t60_results r USING (id) GROUP BY 1, 2, 3" >/dev/null
while IFS=$'\t' read -r obj priv got want; do
	if [ -z "$want" ]; then
		ok 1 "$obj $priv: has a line in matrix.txt (got $got)"
	else
		is "$got" "$want" "$obj $priv (none reader writer admin)"
	fi
done < <(q "$db" "SELECT x.obj, x.priv, x.got, coalesce(
		(SELECT e.e_none || ' ' || e.e_reader || ' ' || e.e_writer || ' ' || e.e_admin FROM public.t60_expected e
		 WHERE e.priv = x.priv AND (e.pattern = x.obj OR (e.pattern LIKE '%*%' AND x.obj LIKE
			replace(replace(replace(e.pattern, '_', '\_'), '%', '\%'), '*', '%')))
		 ORDER BY e.pattern LIKE '%*%' LIMIT 1), '')
	FROM (SELECT obj, priv, string_agg(allowed, ' ' ORDER BY array_position(ARRAY['r_none', 'r_reader', 'r_writer', 'r_admin'], role)) AS got
		  FROM public.t60_actual GROUP BY 1, 2) x ORDER BY 1, 2" | tr '|' '\t')
unmatched=$(q "$db" "SELECT string_agg(e.pattern || ' ' || e.priv, '; ') FROM public.t60_expected e
	WHERE e.pattern NOT LIKE '%*%' AND NOT EXISTS (SELECT FROM public.t60_attempts a WHERE a.obj = e.pattern AND a.priv = e.priv)")
[ -n "$unmatched" ] && diag "matrix.txt lines for objects this version does not have: $unmatched"

# 2. Finding 8: failing ap_train calls and the run-log workers they start.
# Worker launches are counted in the server log ("registering background
# worker"), which needs log_min_messages = debug1 for the duration.
loop() {	# loop <role> <symbol> <n>: n failing ap_train calls; prints "sqlstates|warnings"
	PGOPTIONS="-c client_min_messages=warning" psql -X -qAt -U "$1" -d "$db" -c "
		DO \$\$
		DECLARE states text[] := '{}';
		BEGIN
			FOR i IN 1..$3 LOOP
				BEGIN
					PERFORM apx.ap_train('$2');
				EXCEPTION WHEN OTHERS THEN
					states := states || SQLSTATE;
				END;
			END LOOP;
			RAISE WARNING 'states %', (SELECT string_agg(DISTINCT s || 'x' || n, ',') FROM
				(SELECT s, count(*) n FROM unnest(states) s GROUP BY s) c);
		END
		\$\$" 2>&1
}
if [ -z "$log" ]; then
	diag "server log not readable: worker launches not counted"
fi
q postgres "ALTER SYSTEM SET log_min_messages = debug1" >/dev/null
q postgres "ALTER SYSTEM SET alphapulse.run_log_rate = 2" >/dev/null
on_exit "psql -X -q -d postgres -c 'ALTER SYSTEM RESET log_min_messages' -c 'ALTER SYSTEM RESET alphapulse.run_log_rate' -c 'SELECT pg_reload_conf()'"
q postgres "SELECT pg_reload_conf()" >/dev/null
wait_for 30 postgres "SELECT current_setting('alphapulse.run_log_rate') = '2'"
launches() { if [ -n "$log" ]; then tail -c +"$(($1 + 1))" "$log" | grep -c 'DEBUG:  registering background worker "alphapulse run log"'; else echo 0; fi; }
logsize() { if [ -n "$log" ]; then stat -c %s "$log"; else echo 0; fi; }

size=$(logsize)
out=$(loop r_none nosuch_none 200)
is "$(echo "$out" | sed -n 's/.*states //p')" "42501x200" "r_none: 200 failing ap_train calls, each refused with 42501"
is "$(launches "$size")" 0 "r_none: no run-log worker was started"
is "$(q "$db" "SELECT count(*) FROM alphapulse.runs WHERE symbol = 'nosuch_none'")" 0 "r_none: nothing logged"

# a role that may call ap_train but not write the run log: its worker could
# only fail, so none is started
size=$(logsize)
q "$db" "GRANT EXECUTE ON FUNCTION apx.ap_train(text, text, text, jsonb, text) TO r_none" >/dev/null
out=$(loop r_none nosuch_none 50)
q "$db" "REVOKE EXECUTE ON FUNCTION apx.ap_train(text, text, text, jsonb, text) FROM r_none" >/dev/null
is "$(echo "$out" | sed -n 's/.*states //p')" "42501x50" "r_none with EXECUTE on ap_train only: 50 failing calls (no access to the tables)"
is "$(launches "$size")" 0 "r_none with EXECUTE on ap_train only: no run-log worker was started"

size=$(logsize)
t0=$(date +%s.%N)
out=$(loop r_writer nosuch_w 200)
t1=$(date +%s.%N)
is "$(echo "$out" | sed -n 's/.*states //p')" "42704x200" "r_writer: 200 failing ap_train calls, each with its own error"
wait_for 30 "$db" "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'alphapulse run log')"
logged=$(q "$db" "SELECT count(*) FROM alphapulse.runs WHERE symbol = 'nosuch_w'")
warned=$(echo "$out" | grep -c 'failed run not recorded')
elapsed=$(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }")
# the bucket holds 5 s of the rate (10 at rate 2) and refills at 2 per second
bound=$(awk "BEGIN { printf \"%d\", 10 + 2 * $elapsed + 1 }")
diag "r_writer: $logged logged, $warned not logged, in ${elapsed}s (bound $bound)"
ok $([ "$logged" -ge 1 ] && [ "$logged" -le "$bound" ]; echo $?) "r_writer: failures are logged, at most 10 + 2/s of them ($logged)"
is "$((logged + warned))" 200 "r_writer: every failure not logged says so in a WARNING"
if [ -n "$log" ]; then
	is "$(launches "$size")" "$logged" "r_writer: one worker per logged failure, none for the others"
fi

# 3. SQL injection: hostile values in every text-like argument
members_before=$(q postgres "SELECT string_agg(roleid::regrole || '>' || member::regrole, ' ' ORDER BY 1) FROM pg_auth_members")
supers_before=$(q postgres "SELECT string_agg(rolname, ' ' ORDER BY rolname) FROM pg_roles WHERE rolsuper")
grep -v '^# ' "$fx/hostile.txt" >"$tmp/hostile.txt"
out=$(qf "$db" -f - <<SQL
CREATE TABLE public.t60_hostile (id serial, line text, v text);
\\copy public.t60_hostile (line) FROM '$tmp/hostile.txt' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')
DO \$\$
DECLARE r record; val text;
BEGIN
	FOR r IN SELECT id, line FROM public.t60_hostile LOOP
		val := r.line;
		IF r.line LIKE '@sql %' THEN
			EXECUTE 'SELECT (' || substr(r.line, 6) || ')::text' INTO STRICT val;
		END IF;
		UPDATE public.t60_hostile SET v = val WHERE id = r.id;
	END LOOP;
END
\$\$;
GRANT SELECT ON public.t60_hostile TO PUBLIC;
-- harmless values (public.t60_arg) for the other arguments
CREATE TABLE public.t60_calls (id serial, obj text, arg integer, role text, q text);
GRANT SELECT ON public.t60_calls TO PUBLIC;
WITH f AS (
	SELECT p.oid, p.prokind, n.nspname, p.proname,
		CASE WHEN p.prokind = 'w' THEN 'window ' ELSE 'function ' END
		|| CASE WHEN n.nspname = 'alphapulse' THEN 'alphapulse.' ELSE '' END
		|| p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' AS obj,
		p.proargtypes::oid[] AS types, coalesce(p.proargnames, '{}') AS names
	FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'alphapulse'
	WHERE p.prorettype <> 'trigger'::regtype
), target AS (	-- (function, hostile argument, how the hostile text becomes that argument)
	SELECT f.*, h.o AS harg, v.expr
	FROM f, unnest(f.types) WITH ORDINALITY AS h(t, o),
		unnest(CASE h.t WHEN 'text'::regtype THEN ARRAY['\$1']
						WHEN 'text[]'::regtype THEN ARRAY['ARRAY[\$1]']
						WHEN 'jsonb'::regtype THEN ARRAY['pg_catalog.to_jsonb(\$1)',
							'pg_catalog.jsonb_build_object(''features'', pg_catalog.jsonb_build_array(\$1), ''target'', pg_catalog.jsonb_build_object(''type'', \$1, ''threshold'', \$1))',
							'pg_catalog.jsonb_build_object(\$1, \$1, ''keywords'', pg_catalog.jsonb_build_object(\$1, \$1))']
		END) AS v(expr)
), calls AS (
	SELECT t.obj, t.harg, t.prokind, t.nspname, t.proname,
		string_agg(CASE WHEN a.o = t.harg THEN t.expr
			ELSE public.t60_arg(t.names[a.o], a.t::regtype, t.prokind = 'w') END, ', ' ORDER BY a.o) AS args
	FROM target t, unnest(t.types) WITH ORDINALITY AS a(t, o)
	GROUP BY t.obj, t.harg, t.expr, t.prokind, t.nspname, t.proname
)
INSERT INTO public.t60_calls (obj, arg, role, q)
SELECT c.obj, c.harg, r.role,
	CASE WHEN c.prokind = 'w'
		THEN format('SELECT %I.%I(%s) OVER (ORDER BY i) FROM generate_series(1, 3) i', c.nspname, c.proname, c.args)
		ELSE format('SELECT * FROM %I.%I(%s)', c.nspname, c.proname, c.args) END
FROM calls c
JOIN public.t60_actual r ON r.obj = c.obj AND r.priv = 'EXECUTE' AND r.allowed = 'y'
ORDER BY 1, 2, 3;
SQL
)
ok $? "hostile values and calls prepared" || diag "$out"
diag "$(q "$db" "SELECT count(*) FROM public.t60_hostile") hostile values, $(q "$db" "SELECT count(*) FROM public.t60_calls") calls of $(q "$db" "SELECT count(DISTINCT obj) FROM public.t60_calls") functions"
t0=$SECONDS
for r in $roles; do
	PGOPTIONS="-c client_min_messages=error -c statement_timeout=900s" psql -X -qAt -U "$r" -d "$db" \
		-c "BEGIN" \
		-c "SELECT c.obj, c.arg, h.id, public.t60_try(c.q, h.v) FROM public.t60_calls c, public.t60_hostile h WHERE c.role = '$r' ORDER BY c.id, h.id" \
		-c "ROLLBACK" >"$tmp/inj_$r.out" 2>"$tmp/inj_$r.err"
	ok $? "$r: every hostile call returned (the session survived)" || diag "$(head -5 "$tmp/inj_$r.err")"
done
diag "injection calls took $((SECONDS - t0)) s"
internal=$(grep -h '|XX' "$tmp"/inj_*.out | head -5)
is "${internal:-none}" none "no hostile call ends in an internal error (XX...)"
is "$(cat "$tmp"/inj_*.out | wc -l)" "$(q "$db" "SELECT count(*) FROM public.t60_calls c, public.t60_hostile h")" \
	"every hostile call has an outcome"
is "$(q "$db" "SELECT string_agg(v, ',') FROM public.canary")" alive "the canary table is still there, unchanged"
is "$(q postgres "SELECT string_agg(roleid::regrole || '>' || member::regrole, ' ' ORDER BY 1) FROM pg_auth_members")" \
	"$members_before" "no role gained (or lost) a membership"
is "$(q postgres "SELECT string_agg(rolname, ' ' ORDER BY rolname) FROM pg_roles WHERE rolsuper")" "$supers_before" \
	"no new superuser"
is "$(q postgres "SELECT pg_postmaster_start_time()")" "$start_time" "the server never restarted"

# the functions work from schema apx, whatever the caller's search_path
qf "$db" -c "\\i test/fixtures/models/bars.sql" -c "SELECT pg_temp.make_bars('eth', 400, 'e')" >/dev/null
is "$(PGOPTIONS="-c search_path=public" psql -X -qAt -U r_writer -d "$db" -c "SELECT apx.ap_train('eth', algorithm => 'ridge') > 0")" t \
	"r_writer trains with the extension in schema apx"
is "$(PGOPTIONS="-c search_path=public" psql -X -qAt -U r_reader -d "$db" \
	-c "SELECT apx.ap_predict('eth', (SELECT x FROM alphapulse.features WHERE symbol = 'eth' ORDER BY ts DESC LIMIT 1)) IS NOT NULL")" t \
	"r_reader predicts with it"
is "$(q postgres "SELECT pg_postmaster_start_time()")" "$start_time" "the server never restarted (end)"
if [ -n "$log" ]; then
	is "$(tail -c +"$((log_start + 1))" "$log" | grep -c 'worker "alphapulse run log" (PID [0-9]*) exited with exit code [^0]')" 0 \
		"every run-log worker wrote its row (none exited with an error)"
fi
done_testing
