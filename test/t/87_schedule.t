#!/bin/bash
# Issue 8, schedules: ap_schedule installs the symbol's pg_cron jobs
# idempotently, ap_unschedule removes exactly those, a job really fires and
# runs its step through ap_run_job, a run that finds the previous one still
# holding the step's advisory lock skips and logs it, alphapulse.jobs shows
# the last runs, a failing step is logged and rolled back, and bad input is a
# clear error that writes nothing.  Own cluster (feeds_lib.sh) with pg_cron
# preloaded; the bars come from the fixture HTTP server through ap_ingest_now.
. "$(dirname "$0")/feeds_lib.sh"
pg_init; pg_start || { echo "Bail out! cluster did not start"; exit 1; }
fixture_start
# qs <sql>: like q, errors as their SQLSTATE only
qs() { PGOPTIONS="-c client_min_messages=error" "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres \
	-v ON_ERROR_STOP=1 -c '\set VERBOSITY sqlstate' -c "$1" 2>&1; }
jobs_state="SELECT string_agg(jobid || ':' || jobname || ':' || schedule || ':' || command, ' ' ORDER BY jobid) FROM cron.job"

q "CREATE EXTENSION alphapulse" >/dev/null
q "INSERT INTO alphapulse.assets (symbol) VALUES ('btc'), ('eth')" >/dev/null
is "$(qs "SELECT * FROM ap_schedule('btc')")" "ERROR:  55000" "without pg_cron: object_not_in_prerequisite_state"
is "$(q "SELECT count(*) FROM alphapulse.schedules")" 0 "... and nothing written"
q "CREATE EXTENSION pg_cron" >/dev/null
q "SELECT cron.schedule('someone_elses_job', '0 0 1 1 *', 'SELECT 1')" >/dev/null
q "SELECT ap_add_feed('btc_bn', 'price', 'binance', '$HTTP/ok/binance/api/v3/klines?symbol=BTCUSDT', 'btc', '{\"start\": \"2021-01-01\"}')" >/dev/null

# --- bad input: a clear error each, nothing written -----------------------
before=$(q "$jobs_state")
is "$(qs "SELECT * FROM ap_schedule('nosuch')")" "ERROR:  42704" "unknown symbol: 42704"
is "$(qs "SELECT * FROM ap_schedule(NULL)")" "ERROR:  22004" "null symbol: 22004"
for bad in '[]' '{"nosuch": 1}' '{"drift_schedule": "every hour"}' '{"drift_schedule": "61 * * * *"}' \
	'{"drift_schedule": 5}' '{"retrain_mode": "slow"}' '{"job_log_days": 0}' '{"job_log_days": 1.5}' \
	'{"drift_window": "-1 day"}' '{"drift_window": "soon"}' '{"feature_set": "nosuch"}' \
	'{"evaluate": "yes"}' '{"drift_options": []}' '{"algorithm": 1}'; do
	is "$(qs "SELECT * FROM ap_schedule('btc', '$bad')")" "ERROR:  22023" "bad options $bad: 22023"
done
is "$(qs "SELECT * FROM ap_schedule('btc', NULL)")" "ERROR:  22023" "null options: 22023"
is "$(q "$jobs_state")" "$before" "no pg_cron job was written by the bad calls"
is "$(q "SELECT count(*) FROM alphapulse.schedules")" 0 "... nor a schedule"
is "$(qs "SELECT ap_run_job('btc', 'nosuch')")" "ERROR:  22023" "ap_run_job: unknown step"
is "$(qs "SELECT ap_run_job('nosuch', 'ingest')")" "ERROR:  42704" "ap_run_job: unknown symbol"
is "$(qs "SELECT ap_unschedule('btc')")" "ERROR:  42704" "ap_unschedule of a symbol not scheduled: 42704"
is "$(q "SELECT count(*) FROM alphapulse.job_log")" 0 "bad calls log no run"

# --- idempotence -----------------------------------------------------------
first=$(q "SELECT string_agg(step || '=' || jobid || '@' || schedule, ' ' ORDER BY step) FROM ap_schedule('btc')")
like "$first" "^drift=[0-9]+@7 \* \* \* \* ingest=[0-9]+@\*/15 \* \* \* \* prune=[0-9]+@45 3 \* \* \* requests=[0-9]+@\*/10 \* \* \* \* retrain=[0-9]+@30 2 \* \* \*$" \
	"ap_schedule installs the five steps with the default schedules"
state1=$(q "$jobs_state")
second=$(q "SELECT string_agg(step || '=' || jobid || '@' || schedule, ' ' ORDER BY step) FROM ap_schedule('btc')")
is "$second" "$first" "a second ap_schedule returns the same jobs"
is "$(q "$jobs_state")" "$state1" "... and leaves cron.job exactly as it was"
is "$(q "SELECT count(*) FROM cron.job WHERE jobname LIKE 'alphapulse\_btc\_%'")" 5 "five jobs for btc"
is "$(q "SELECT command FROM cron.job WHERE jobname = 'alphapulse_btc_drift'")" "SELECT public.ap_run_job('btc', 'drift')" \
	"a job's command is one ap_run_job call with literals"
q "SELECT * FROM ap_schedule('eth', '{\"retrain_schedule\": null}')" >/dev/null
is "$(q "SELECT count(*) FROM cron.job WHERE jobname LIKE 'alphapulse\_eth\_%'")" 4 "eth with retrain left out: four jobs"

# --- a job really fires (pg_cron 1.4: at the next minute boundary) ----------
drift_id=$(q "SELECT jobid FROM alphapulse.schedule_jobs WHERE symbol = 'btc' AND step = 'drift'")
q "SELECT * FROM ap_schedule('btc', '{\"ingest_schedule\": \"* * * * *\", \"drift_schedule\": null}')" >/dev/null
is "$(q "SELECT count(*) FROM cron.job WHERE jobid = $drift_id OR jobname = 'alphapulse_btc_drift'")" 0 "a step set to null is removed"
is "$(q "SELECT schedule FROM cron.job WHERE jobname = 'alphapulse_btc_ingest'")" "* * * * *" "a changed schedule is updated in place"
wait_for 100 "SELECT EXISTS (SELECT FROM alphapulse.job_log WHERE symbol = 'btc' AND step = 'ingest' AND status = 'succeeded')"
ok $? "the ingest job fired and ap_run_job logged a successful run"
is "$(q "SELECT count(*) FROM alphapulse.bars WHERE symbol = 'btc'")" 8760 "it landed the feed's bars (ap_ingest_now)"
# (the every-minute job may have run more than once by now: the runs add up)
wait_for 60 "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE '%ap_run_job(''btc'', ''ingest'')%' AND pid <> pg_backend_pid())"
is "$(q "SELECT sum((details->>'rows_landed')::bigint) = 8760 AND sum((details->>'features_built')::bigint) = (SELECT count(*) FROM alphapulse.features WHERE symbol = 'btc') AND sum((details->>'features_built')::bigint) > 8000
	FROM alphapulse.job_log WHERE step = 'ingest' AND symbol = 'btc'")" t \
	"... and, without a champion, built the features of the new bars"
q "SELECT id, status, message, details FROM alphapulse.job_log ORDER BY id" | sed 's/^/# /' 
wait_for 30 "SELECT EXISTS (SELECT FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'alphapulse_btc_ingest' AND d.status = 'succeeded')"
ok $? "pg_cron recorded the run"
q "SELECT * FROM ap_schedule('btc', '{\"ingest_schedule\": \"0 0 1 1 *\", \"drift_schedule\": null}')" >/dev/null
# wait until no run of the every-minute job is in progress
wait_for 60 "SELECT NOT EXISTS (SELECT FROM pg_stat_activity WHERE query LIKE '%ap_run_job(''btc'', ''ingest'')%' AND pid <> pg_backend_pid())"

# --- after ingest: scoring of the new bars ---------------------------------
q "SELECT ap_train('btc', 'fast')" >/dev/null
is "$(q "SELECT ap_run_job('btc', 'ingest')")" succeeded "ingest with a champion"
is "$(q "SELECT (l.details->>'scored')::bigint = (SELECT count(*) FROM alphapulse.signals s JOIN alphapulse.champions c ON c.model_id = s.model_id WHERE s.symbol = 'btc') AND (l.details->>'scored')::bigint > 8000
	FROM alphapulse.job_log l WHERE l.step = 'ingest' ORDER BY l.id DESC LIMIT 1")" t "... scores every feature row into alphapulse.signals"
is "$(q "SELECT ap_run_job('btc', 'ingest')")" succeeded "ingest again"
is "$(q "SELECT (l.details->>'scored')::bigint || ' ' || (l.details->>'rows_landed') || ' ' || (l.details->>'scored_since' = (SELECT max(ts) FROM alphapulse.signals WHERE symbol = 'btc')::text OR (l.details->>'scored_since')::timestamptz = (SELECT max(ts) FROM alphapulse.signals WHERE symbol = 'btc'))
	FROM alphapulse.job_log l WHERE l.step = 'ingest' ORDER BY l.id DESC LIMIT 1")" "1 0 true" \
	"... with no new bar rescores only the last scored bar"

# --- the skip: a run that finds the previous one still running -------------
( PGAPPNAME=ap_holder "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U postgres -d postgres \
	-c "BEGIN" -c "SELECT ap_run_job('btc', 'ingest')" -c "SELECT pg_sleep(600)" -c "COMMIT" >"$WORK/holder.out" 2>&1 & )
wait_for 60 "SELECT running FROM alphapulse.jobs WHERE symbol = 'btc' AND step = 'ingest'"
ok $? "alphapulse.jobs shows the run in progress (its lock is held)"
holder=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = 'ap_holder'")
like "$holder" "^[0-9]+$" "the holding session is there"
n0=$(q "SELECT count(*) FROM alphapulse.job_log")
is "$(q "SELECT ap_run_job('btc', 'ingest')")" skipped "a second run of the same step skips"
is "$(q "SELECT status || ' ' || message || ' ' || (details->>'running_pid') FROM alphapulse.job_log ORDER BY id DESC LIMIT 1")" \
	"skipped the previous run is still running (pid $holder) $holder" "... and logs that it did, naming the running pid"
is "$(q "SELECT count(*) FROM alphapulse.job_log")" "$((n0 + 1))" "... one row, and did nothing else"
is "$(q "SELECT last_status FROM alphapulse.jobs WHERE symbol = 'btc' AND step = 'ingest'")" skipped "alphapulse.jobs: last status skipped"
is "$(q "SELECT ap_run_job('btc', 'requests') <> 'skipped' AND ap_run_job('eth', 'ingest') <> 'skipped'")" t \
	"another step of the symbol, and the same step of another symbol, do not wait for that lock"
q "SELECT pg_cancel_backend($holder)" >/dev/null
wait_for 30 "SELECT NOT running FROM alphapulse.jobs WHERE symbol = 'btc' AND step = 'ingest'"
ok $? "the lock goes with the run"
is "$(q "SELECT ap_run_job('btc', 'ingest')")" succeeded "the next run runs"
# any role may take an advisory lock: one taken by hand on the step's key does not stop a run
q "CREATE ROLE r_squatter LOGIN" >/dev/null
key=$(q "SELECT alphapulse.job_lock_key('btc', 'ingest')")
( PGAPPNAME=ap_squatter "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U r_squatter -d postgres \
	-c "BEGIN" -c "SELECT pg_advisory_xact_lock(1095780930, $key)" -c "SELECT pg_sleep(600)" -c "COMMIT" >"$WORK/squatter.out" 2>&1 & )
wait_for 60 "SELECT running FROM alphapulse.jobs WHERE symbol = 'btc' AND step = 'ingest'"
ok $? "a role with no grants holds the step's advisory key"
is "$(q "SELECT ap_run_job('btc', 'ingest')")" succeeded "... and cannot make a run skip (the row lock decides)"
is "$(qs "SELECT FROM alphapulse.job_locks FOR UPDATE" | head -1)" "" "the superuser may lock job_locks"
is "$(PGOPTIONS="-c client_min_messages=error" "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$FEEDS_PG_PORT" -U r_squatter -d postgres -c '\set VERBOSITY sqlstate' -c "SELECT FROM alphapulse.job_locks FOR UPDATE" 2>&1)" "ERROR:  42501" \
	"... a role with no grants may not"
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'ap_squatter'" >/dev/null
wait_for 30 "SELECT NOT running FROM alphapulse.jobs WHERE symbol = 'btc' AND step = 'ingest'"
ok $? "the squatter is gone"

# --- a failing step: logged with its SQLSTATE, its work rolled back --------
models=$(q "SELECT count(*) FROM alphapulse.models")
q "UPDATE alphapulse.schedules SET options = options || '{\"algorithm\": \"nosuch\"}' WHERE symbol = 'btc'" >/dev/null
is "$(q "SELECT ap_run_job('btc', 'retrain')")" failed "a retrain with an unknown algorithm fails"
is "$(q "SELECT status || ' ' || sqlstate FROM alphapulse.job_log ORDER BY id DESC LIMIT 1")" "failed 22023" "... logged with ap_train's SQLSTATE"
is "$(q "SELECT count(*) FROM alphapulse.models")" "$models" "... and no model was added"

# --- the view --------------------------------------------------------------
is "$(q "SELECT string_agg(step || ':' || coalesce(last_status, '-') || ':' || runs || ':' || (last_duration_ms >= 0 OR last_duration_ms IS NULL) || ':' || (jobid = (SELECT c.jobid FROM cron.job c WHERE c.jobname = j.jobname)), ' ' ORDER BY step)
	FROM alphapulse.jobs j WHERE symbol = 'btc'")" \
	"$(q "SELECT string_agg(s || ':' || coalesce((SELECT status FROM alphapulse.job_log l WHERE l.symbol = 'btc' AND l.step = s ORDER BY id DESC LIMIT 1), '-') || ':' || (SELECT count(*) FROM alphapulse.job_log l WHERE l.symbol = 'btc' AND l.step = s) || ':true:true', ' ' ORDER BY s)
	FROM unnest(ARRAY['ingest', 'prune', 'requests', 'retrain']) s")" \
	"alphapulse.jobs: one row per installed step with its cron job, last status and run count"

# --- drift, and the retraining requests a drifted report queues -----------
if [ "$(q "SELECT to_regclass('alphapulse.retrain_requests') IS NOT NULL AND to_regproc('ap_drift') IS NOT NULL")" = t ]; then
	q "UPDATE alphapulse.schedules SET options = options - 'algorithm' || '{\"drift_window\": \"2000 days\", \"evaluate\": false}' WHERE symbol = 'btc'" >/dev/null
	is "$(q "SELECT ap_run_job('btc', 'drift')")" succeeded "drift: ap_drift over now() - drift_window"
	is "$(q "SELECT (l.details->>'report_id')::bigint = r.id AND (l.details->>'drifted')::boolean = r.drifted AND (l.details->>'current_rows')::bigint = r.current_rows
		FROM alphapulse.job_log l, alphapulse.drift_reports r WHERE l.step = 'drift' AND r.id = (SELECT max(id) FROM alphapulse.drift_reports) ORDER BY l.id DESC LIMIT 1")" t \
		"... the log names the report it stored, with its verdict and rows"
	q "DELETE FROM alphapulse.retrain_requests" >/dev/null
	req=$(q "INSERT INTO alphapulse.retrain_requests (symbol, reason) VALUES ('btc', 'test') RETURNING id")
	models=$(q "SELECT max(id) FROM alphapulse.models")
	is "$(q "SELECT ap_run_job('btc', 'requests')")" succeeded "requests: the pending request is taken"
	is "$(q "SELECT status || ' ' || (model_id > $models) || ' ' || (model_id = (SELECT max(id) FROM alphapulse.models)) || ' ' || (finished_at IS NOT NULL) || ' ' || message
		FROM alphapulse.retrain_requests WHERE id = $req")" "done true true true retrained" "... marked done with the new model it trained"
	is "$(q "SELECT ap_run_job('btc', 'requests')") $(q "SELECT details->>'requests' FROM alphapulse.job_log ORDER BY id DESC LIMIT 1")" "succeeded []" \
		"... and a run with none pending does nothing"
	req=$(q "INSERT INTO alphapulse.retrain_requests (symbol, reason) VALUES ('btc', 'test bad') RETURNING id")
	q "UPDATE alphapulse.schedules SET options = options || '{\"algorithm\": \"nosuch\"}' WHERE symbol = 'btc'" >/dev/null
	is "$(q "SELECT ap_run_job('btc', 'requests')")" failed "a request whose retrain fails"
	like "$(q "SELECT status || ' ' || (finished_at IS NOT NULL) || ' ' || message FROM alphapulse.retrain_requests WHERE id = $req")" "^failed true 22023: " \
		"... is marked failed with the SQLSTATE and message"
	q "UPDATE alphapulse.schedules SET options = options - 'algorithm' WHERE symbol = 'btc'" >/dev/null
	if [ "$(q "SELECT to_regclass('alphapulse.evaluations') IS NOT NULL")" = t ]; then
		q "UPDATE alphapulse.schedules SET options = options || '{\"evaluate\": true}' WHERE symbol = 'btc'" >/dev/null
		req=$(q "INSERT INTO alphapulse.retrain_requests (symbol, reason) VALUES ('btc', 'test evaluate') RETURNING id")
		is "$(q "SELECT ap_run_job('btc', 'requests')")" succeeded "requests with evaluate: retrain then ap_evaluate"
		is "$(q "SELECT r.status || ' ' || (r.evaluation_id = (SELECT max(e.id) FROM alphapulse.evaluations e WHERE e.symbol = 'btc'))
			FROM alphapulse.retrain_requests r WHERE r.id = $req")" "done true" "... the request records the evaluation that decided"
	else
		echo "# alphapulse.evaluations not merged yet: evaluation after a request not checked"
	fi
else
	echo "# ap_drift / alphapulse.retrain_requests not merged yet: drift and request tests skipped"
fi

# --- retention: ap_prune and the job log's own old rows --------------------
if [ "$(q "SELECT to_regproc('ap_prune') IS NOT NULL")" = t ]; then
	q "INSERT INTO alphapulse.job_log (symbol, step, started, finished, duration_ms, status)
	   VALUES ('btc', 'ingest', now() - interval '40 days', now() - interval '40 days', 1, 'succeeded'),
	          ('btc', 'ingest', now() - interval '20 days', now() - interval '20 days', 1, 'succeeded'),
	          ('eth', 'ingest', now() - interval '40 days', now() - interval '40 days', 1, 'succeeded')" >/dev/null
	n_recent=$(q "SELECT count(*) FROM alphapulse.job_log WHERE symbol = 'btc' AND finished >= now() - interval '30 days'")
	is "$(q "SELECT ap_run_job('btc', 'prune')")" succeeded "prune: ap_prune and the job log"
	is "$(q "SELECT count(*) FILTER (WHERE finished < now() - interval '30 days') || ' ' || count(*) FILTER (WHERE finished >= now() - interval '30 days') FROM alphapulse.job_log WHERE symbol = 'btc'")" \
		"0 $((n_recent + 1))" "... btc's job log rows older than job_log_days (30) are gone, the rest stay (and the prune run's own row)"
	is "$(q "SELECT count(*) FROM alphapulse.job_log WHERE symbol = 'eth' AND finished < now() - interval '30 days'")" 1 "... another symbol's old rows stay"
	is "$(q "SELECT (details->'job_log_deleted')::int || ' ' || (details ? 'ap_prune') FROM alphapulse.job_log WHERE step = 'prune' ORDER BY id DESC LIMIT 1")" "1 true" \
		"... and the log says what was deleted"
else
	echo "# ap_prune not merged yet: retention not checked"
fi

# --- exact removal -----------------------------------------------------------
eth_jobs=$(q "SELECT string_agg(jobid::text, ',' ORDER BY jobid) FROM cron.job WHERE jobname LIKE 'alphapulse\_eth\_%'")
is "$(q "SELECT ap_unschedule('btc')")" 4 "ap_unschedule removes btc's four jobs"
is "$(q "SELECT string_agg(jobname, ',' ORDER BY jobname) FROM cron.job")" \
	"alphapulse_eth_drift,alphapulse_eth_ingest,alphapulse_eth_prune,alphapulse_eth_requests,someone_elses_job" \
	"... and only those: eth's jobs and a job not ours stay"
is "$(q "SELECT string_agg(jobid::text, ',' ORDER BY jobid) FROM cron.job WHERE jobname LIKE 'alphapulse\_eth\_%'")" "$eth_jobs" "... untouched"
is "$(q "SELECT count(*) FROM alphapulse.schedules WHERE symbol = 'btc'") $(q "SELECT count(*) FROM alphapulse.jobs WHERE symbol = 'btc'")" "0 0" \
	"btc's schedule and its rows in alphapulse.jobs are gone"
like "$(q "SELECT count(*) FROM alphapulse.job_log WHERE symbol = 'btc'")" "^[1-9][0-9]*$" "the job log keeps btc's history"
is "$(qs "DELETE FROM alphapulse.assets WHERE symbol = 'eth'")" "ERROR:  23503" "a scheduled asset cannot be deleted"
done_testing
