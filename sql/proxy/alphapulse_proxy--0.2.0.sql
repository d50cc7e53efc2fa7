-- alphapulse_proxy 0.2.0: the scale-out layer.  A proxy database with this
-- extension has the ap_* functions of AlphaPulse with the same arguments; each
-- call runs, through PL/Proxy, on the data server that holds its symbol
-- (partition hashtext(symbol) & (partitions - 1), unless alphapulse.placement
-- pins the symbol elsewhere), and the views that span symbols run on every
-- data server and merge.  The data servers are ordinary AlphaPulse databases.
-- Privileges are checked where the data is: a call reaches the data server as
-- the calling role (PL/Proxy connects as current_user).
\echo Use "CREATE EXTENSION alphapulse_proxy" to load this file. \quit

CREATE SCHEMA alphapulse;
COMMENT ON SCHEMA alphapulse IS 'AlphaPulse proxy: symbol placement and the merged views of every data server';
GRANT USAGE ON SCHEMA alphapulse TO PUBLIC;

-- Symbols pinned to a partition other than their hash (moved symbols).
CREATE TABLE alphapulse.placement (
	symbol		text PRIMARY KEY
				CONSTRAINT placement_symbol_format CHECK (symbol ~ '^[a-z][a-z0-9_]{0,31}$'::text),
	partition	integer NOT NULL CONSTRAINT placement_partition_nonnegative CHECK (partition >= 0),
	moved		timestamptz NOT NULL DEFAULT pg_catalog.now(),
	rows_moved	jsonb
);
COMMENT ON TABLE alphapulse.placement IS
'Symbols that live on another partition than hashtext(symbol) says (written by ap_proxy_move_symbol): partition number, when, and the rows moved per table';
SELECT pg_catalog.pg_extension_config_dump('alphapulse.placement', '');
GRANT SELECT ON alphapulse.placement TO PUBLIC;

-- The partition that holds a symbol: its pinned partition, else its hash.
-- PL/Proxy masks the value with partitions - 1.
CREATE FUNCTION alphapulse.partition_of(symbol text)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT CASE WHEN $1 IS NULL THEN NULL
		ELSE COALESCE((SELECT p.partition FROM alphapulse.placement p WHERE p.symbol OPERATOR(pg_catalog.=) $1),
								 pg_catalog.hashtext($1)) END
$fn$;
COMMENT ON FUNCTION alphapulse.partition_of(text) IS
'Routing key of a symbol: its row in alphapulse.placement, else hashtext(symbol); PL/Proxy takes it modulo the partition count (a power of two)';

-- The number of partitions of the cluster (0 before ap_proxy_set_servers).
CREATE FUNCTION alphapulse.partition_count()
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT pg_catalog.count(*)::integer
	FROM pg_catalog.pg_foreign_server s, pg_catalog.unnest(s.srvoptions) o
	WHERE s.srvname OPERATOR(pg_catalog.=) 'alphapulse' AND o OPERATOR(pg_catalog.~) '^p[0-9]+='
$fn$;
COMMENT ON FUNCTION alphapulse.partition_count() IS
'Partitions of the PL/Proxy cluster "alphapulse" (its pN options), 0 when it is not configured';

-- Where a model and a feed live: asked of every server.
CREATE FUNCTION alphapulse.proxy_model_symbol(model_id bigint)
RETURNS SETOF text
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse';
	RUN ON ALL;
	SELECT m.symbol FROM alphapulse.models m WHERE m.id = model_id;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_model_symbol(bigint) IS 'Internal: the symbol of a model, from every data server';

CREATE FUNCTION alphapulse.proxy_feed_symbol(feed text)
RETURNS SETOF text
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse';
	RUN ON ALL;
	SELECT f.symbol FROM alphapulse.feeds f WHERE f.name = feed;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_feed_symbol(text) IS 'Internal: the symbol of a feed, from every data server';

-- Route by model or feed: to the partition of its symbol; an unknown one goes
-- to partition 0, whose AlphaPulse reports it as it would on one server.
CREATE FUNCTION alphapulse.located(kind text, symbols text[])
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	IF pg_catalog.cardinality(symbols) > 1 THEN
		RAISE EXCEPTION '% is on % data servers', kind, pg_catalog.cardinality(symbols)
			USING ERRCODE = 'data_exception',
				  DETAIL = 'Model and run ids must be unique across data servers.',
				  HINT = 'Run ap_proxy_set_servers() to give each data server its own id range.';
	END IF;
	IF pg_catalog.cardinality(symbols) = 0 OR symbols[1] IS NULL THEN
		RETURN 0;
	END IF;
	RETURN alphapulse.partition_of(symbols[1]);
END
$fn$;
COMMENT ON FUNCTION alphapulse.located(text, text[]) IS
'Internal: the routing key for an object found on the given symbols (0 when not found, an error when found on several servers)';

CREATE FUNCTION alphapulse.model_partition(model_id bigint)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT alphapulse.located('model ' || $1, ARRAY(SELECT alphapulse.proxy_model_symbol($1)))
$fn$;
COMMENT ON FUNCTION alphapulse.model_partition(bigint) IS 'Internal: routing key of a model (the partition of its symbol)';

CREATE FUNCTION alphapulse.feed_partition(feed text)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT alphapulse.located('feed ' || $1, ARRAY(SELECT alphapulse.proxy_feed_symbol($1)))
$fn$;
COMMENT ON FUNCTION alphapulse.feed_partition(text) IS 'Internal: routing key of a feed (the partition of its symbol)';

-- A symbol routed nowhere is a usage error here, not on a data server.
CREATE FUNCTION alphapulse.symbol_partition(symbol text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	IF symbol IS NULL THEN
		RAISE EXCEPTION 'symbol must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Through the proxy every call names its symbol; add news feeds (no symbol) on each data server.';
	END IF;
	RETURN alphapulse.partition_of(symbol);
END
$fn$;
COMMENT ON FUNCTION alphapulse.symbol_partition(text) IS 'Internal: routing key of a symbol argument (an error for NULL)';

------------------------------------------------------------------------------
-- Per-symbol functions: the data servers' signatures, run where the symbol is.

CREATE FUNCTION @extschema@.ap_build_features(symbol text, feature_set text DEFAULT 'default')
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_build_features(text, text) IS
'Proxy: ap_build_features on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_train(symbol text, mode text DEFAULT 'fast', algorithm text DEFAULT 'xgboost',
									 params jsonb DEFAULT '{}', feature_set text DEFAULT 'default')
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_train(text, text, text, jsonb, text) IS
'Proxy: ap_train on the data server of the symbol (training runs where the data is); returns the model id';

CREATE FUNCTION @extschema@.ap_score(symbol text, since timestamptz DEFAULT '-infinity',
									 buy double precision DEFAULT NULL, sell double precision DEFAULT NULL)
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_score(text, timestamptz, double precision, double precision) IS
'Proxy: ap_score on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_predict(symbol text, x double precision[])
RETURNS double precision LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_predict(text, double precision[]) IS
'Proxy: ap_predict with the champion of the symbol, on its data server';

-- Routing by model or feed looks it up on every server first; PL/Proxy cannot
-- nest that lookup in RUN ON, so a PL/pgSQL wrapper passes the partition.
CREATE FUNCTION alphapulse.proxy_predict(part integer, model_id bigint, x double precision[])
RETURNS double precision LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON part; SELECT ap_predict(model_id, x) AS proxy_predict; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_predict(integer, bigint, double precision[]) IS 'Internal: ap_predict(model_id, x) on a partition';

CREATE FUNCTION @extschema@.ap_predict(model_id bigint, x double precision[])
RETURNS double precision LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT alphapulse.proxy_predict(alphapulse.model_partition($1), $1, $2) $fn$;
COMMENT ON FUNCTION @extschema@.ap_predict(bigint, double precision[]) IS
'Proxy: ap_predict with a model, on the data server that holds it';

CREATE FUNCTION @extschema@.ap_explain(symbol text, x double precision[])
RETURNS TABLE (feature text, contribution double precision) LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_explain(text, double precision[]) IS
'Proxy: ap_explain on the data server of the symbol';

CREATE FUNCTION alphapulse.proxy_promote(part integer, model_id bigint)
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON part; SELECT ap_promote(model_id) AS proxy_promote; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_promote(integer, bigint) IS 'Internal: ap_promote on a partition';

CREATE FUNCTION @extschema@.ap_promote(model_id bigint)
RETURNS bigint LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT alphapulse.proxy_promote(alphapulse.model_partition($1), $1) $fn$;
COMMENT ON FUNCTION @extschema@.ap_promote(bigint) IS
'Proxy: ap_promote on the data server that holds the model';

CREATE FUNCTION @extschema@.ap_rollback(symbol text)
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_rollback(text) IS
'Proxy: ap_rollback on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_drift(symbol text, since timestamptz DEFAULT pg_catalog.now() - '7 days'::interval,
									 options jsonb DEFAULT '{}')
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_drift(text, timestamptz, jsonb) IS
'Proxy: ap_drift on the data server of the symbol (the default since is the proxy''s now() - 7 days)';

CREATE FUNCTION @extschema@.ap_add_feed(name text, kind text, format text, url text,
										symbol text DEFAULT NULL, options jsonb DEFAULT '{}')
RETURNS void LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_add_feed(text, text, text, text, text, jsonb) IS
'Proxy: ap_add_feed on the data server of the feed''s symbol (a feed without a symbol is refused: add news feeds on each data server)';

CREATE FUNCTION alphapulse.proxy_remove_feed(part integer, name text)
RETURNS void LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON part; SELECT ap_remove_feed(name) AS proxy_remove_feed; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_remove_feed(integer, text) IS 'Internal: ap_remove_feed on a partition';
CREATE FUNCTION @extschema@.ap_remove_feed(name text)
RETURNS void LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT alphapulse.proxy_remove_feed(alphapulse.feed_partition($1), $1) $fn$;
COMMENT ON FUNCTION @extschema@.ap_remove_feed(text) IS 'Proxy: ap_remove_feed where the feed is';

CREATE FUNCTION alphapulse.proxy_ingest(part integer, feed text)
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON part; SELECT ap_ingest(feed) AS proxy_ingest; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_ingest(integer, text) IS 'Internal: ap_ingest on a partition';
CREATE FUNCTION @extschema@.ap_ingest(feed text)
RETURNS bigint LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT alphapulse.proxy_ingest(alphapulse.feed_partition($1), $1) $fn$;
COMMENT ON FUNCTION @extschema@.ap_ingest(text) IS 'Proxy: ap_ingest (queue a feed run) where the feed is';

CREATE FUNCTION alphapulse.proxy_ingest_now(part integer, feed text, OUT requests integer, OUT rows_landed bigint,
											OUT ok boolean, OUT message text)
LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON part; SELECT i.requests, i.rows_landed, i.ok, i.message FROM ap_ingest_now(feed) i; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_ingest_now(integer, text) IS 'Internal: ap_ingest_now on a partition';
CREATE FUNCTION @extschema@.ap_ingest_now(feed text, OUT requests integer, OUT rows_landed bigint,
										  OUT ok boolean, OUT message text)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT * FROM alphapulse.proxy_ingest_now(alphapulse.feed_partition($1), $1) $fn$;
COMMENT ON FUNCTION @extschema@.ap_ingest_now(text) IS 'Proxy: ap_ingest_now where the feed is';

CREATE FUNCTION alphapulse.proxy_schedule_feed(part integer, feed text, schedule text)
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON part; SELECT ap_schedule_feed(feed, schedule) AS proxy_schedule_feed; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_schedule_feed(integer, text, text) IS 'Internal: ap_schedule_feed on a partition';
CREATE FUNCTION @extschema@.ap_schedule_feed(feed text, schedule text)
RETURNS bigint LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT alphapulse.proxy_schedule_feed(alphapulse.feed_partition($1), $1, $2) $fn$;
COMMENT ON FUNCTION @extschema@.ap_schedule_feed(text, text) IS
'Proxy: ap_schedule_feed on the data server of the feed (its pg_cron runs there)';

------------------------------------------------------------------------------
-- Feature sets are configuration: the same on every data server.

CREATE FUNCTION alphapulse.proxy_feature_set(name text, spec jsonb)
RETURNS SETOF text[] LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON ALL; TARGET ap_feature_set; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_feature_set(text, jsonb) IS 'Internal: ap_feature_set on every data server';

CREATE FUNCTION @extschema@.ap_feature_set(name text, spec jsonb)
RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	names text[];
	n integer;
BEGIN
	SELECT pg_catalog.min(r::text)::text[], pg_catalog.count(DISTINCT r::text) INTO names, n
	FROM alphapulse.proxy_feature_set(name, spec) r;
	IF n <> 1 THEN
		RAISE EXCEPTION 'feature set "%" differs between data servers', name
			USING ERRCODE = 'data_exception',
				  HINT = 'Define it again through the proxy so that every server has the same spec.';
	END IF;
	RETURN names;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_feature_set(text, jsonb) IS
'Proxy: ap_feature_set on every data server (a feature set is configuration, the same everywhere); returns the feature names';

------------------------------------------------------------------------------
-- Reading one symbol's data, and loading it, on its data server.

CREATE FUNCTION @extschema@.ap_bars(symbol text, since timestamptz DEFAULT '-infinity',
									until timestamptz DEFAULT 'infinity')
RETURNS TABLE (ts timestamptz, open numeric, high numeric, low numeric, close numeric, volume numeric)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse';
	RUN ON alphapulse.symbol_partition(symbol);
	SELECT b.ts, b.open, b.high, b.low, b.close, b.volume FROM alphapulse.bars b
	WHERE b.symbol = symbol AND b.ts >= since AND b.ts <= until ORDER BY b.ts;
$fn$;
COMMENT ON FUNCTION @extschema@.ap_bars(text, timestamptz, timestamptz) IS
'Proxy: the bars of a symbol between since and until (inclusive), in time order, from its data server';

CREATE FUNCTION @extschema@.ap_features(symbol text, feature_set text DEFAULT 'default',
										since timestamptz DEFAULT '-infinity')
RETURNS TABLE (ts timestamptz, x double precision[], target double precision, fwd_return double precision)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse';
	RUN ON alphapulse.symbol_partition(symbol);
	SELECT f.ts, f.x, f.target, f.fwd_return FROM alphapulse.features f
	WHERE f.symbol = symbol AND f.feature_set = feature_set AND f.ts >= since ORDER BY f.ts;
$fn$;
COMMENT ON FUNCTION @extschema@.ap_features(text, text, timestamptz) IS
'Proxy: the feature rows of a symbol and feature set from since on, in time order, from its data server';

CREATE FUNCTION @extschema@.ap_add_asset(symbol text, description text DEFAULT NULL,
										 bar_interval interval DEFAULT '1 hour')
RETURNS text LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_add_asset(text, text, interval) IS
'Proxy: ap_add_asset (INSERT INTO alphapulse.assets) on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_load_bars(symbol text, ts timestamptz[], open numeric[], high numeric[],
										 low numeric[], close numeric[], volume numeric[])
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_load_bars(text, timestamptz[], numeric[], numeric[], numeric[], numeric[], numeric[]) IS
'Proxy: ap_load_bars (land a page of bars as a feed does) on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_indicators(symbol text, indicators text[], since timestamptz DEFAULT '-infinity')
RETURNS TABLE (ts timestamptz, indicator text, value numeric) LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_indicators(text, text[], timestamptz) IS
'Proxy: ap_indicators (indicator values over the symbol''s bars, warm-up over its whole history) on the data server of the symbol';

------------------------------------------------------------------------------
-- Reads that span symbols: every data server, merged.

CREATE FUNCTION alphapulse.proxy_assets()
RETURNS TABLE (symbol text, description text, bar_interval interval, created timestamptz,
			   periods_per_year double precision)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT a.symbol, a.description, a.bar_interval, a.created, a.periods_per_year FROM alphapulse.assets a;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_assets() IS 'Internal: alphapulse.assets of every data server';
CREATE VIEW alphapulse.assets AS SELECT * FROM alphapulse.proxy_assets();
COMMENT ON VIEW alphapulse.assets IS 'Proxy: the assets of every data server';

CREATE FUNCTION alphapulse.proxy_champions()
RETURNS TABLE (symbol text, model_id bigint, version integer, algorithm text, feature_set text,
			   promoted timestamptz, holdout_from timestamptz, holdout_to timestamptz,
			   holdout_metrics jsonb, cv_metrics jsonb)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT c.symbol, c.model_id, c.version, c.algorithm, c.feature_set, c.promoted, c.holdout_from,
		c.holdout_to, c.holdout_metrics, c.cv_metrics FROM alphapulse.champions c;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_champions() IS 'Internal: alphapulse.champions of every data server';
CREATE VIEW alphapulse.champions AS SELECT * FROM alphapulse.proxy_champions();
COMMENT ON VIEW alphapulse.champions IS 'Proxy: the champion of every symbol on every data server';

CREATE FUNCTION alphapulse.proxy_models()
RETURNS TABLE (id bigint, symbol text, version integer, algorithm text, feature_set text,
			   feature_names text[], task text, params jsonb, n_rounds integer,
			   train_from timestamptz, train_to timestamptz, holdout_from timestamptz, holdout_to timestamptz,
			   cv_metrics jsonb, metrics jsonb, model_sha256 bytea, stage text, run_id bigint,
			   created timestamptz, promoted timestamptz, exported_at timestamptz, imported_from jsonb)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT m.id, m.symbol, m.version, m.algorithm, m.feature_set, m.feature_names, m.task, m.params,
		m.n_rounds, m.train_from, m.train_to, m.holdout_from, m.holdout_to, m.cv_metrics, m.metrics,
		m.model_sha256, m.stage, m.run_id, m.created, m.promoted, m.exported_at, m.imported_from FROM alphapulse.models m;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_models() IS 'Internal: the registry of every data server, without model bytes';
CREATE VIEW alphapulse.models AS SELECT * FROM alphapulse.proxy_models();
COMMENT ON VIEW alphapulse.models IS 'Proxy: the model registry of every data server (metadata; the model bytes stay where they are used)';

CREATE FUNCTION alphapulse.proxy_signals()
RETURNS TABLE (symbol text, ts timestamptz, model_id bigint, score double precision, signal text, created timestamptz)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT s.symbol, s.ts, s.model_id, s.score, s.signal, s.created FROM alphapulse.signals s;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_signals() IS 'Internal: alphapulse.signals of every data server';
CREATE VIEW alphapulse.signals AS SELECT * FROM alphapulse.proxy_signals();
COMMENT ON VIEW alphapulse.signals IS 'Proxy: the signals of every data server';

CREATE FUNCTION alphapulse.proxy_runs()
RETURNS TABLE (id bigint, symbol text, feature_set text, algorithm text, mode text, status text, sqlstate text,
			   message text, params jsonb, seed bigint, holdout_metrics jsonb, data_from timestamptz,
			   data_to timestamptz, n_rows integer, n_train integer, n_holdout integer, model_id bigint,
			   versions jsonb, started timestamptz, finished timestamptz, duration_ms double precision,
			   durations jsonb)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT r.id, r.symbol, r.feature_set, r.algorithm, r.mode, r.status, r.sqlstate, r.message, r.params,
		r.seed, r.holdout_metrics, r.data_from, r.data_to, r.n_rows, r.n_train, r.n_holdout, r.model_id,
		r.versions, r.started, r.finished, r.duration_ms, r.durations FROM alphapulse.runs r;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_runs() IS 'Internal: the experiment log of every data server (without per-fold detail)';
CREATE VIEW alphapulse.runs AS SELECT * FROM alphapulse.proxy_runs();
COMMENT ON VIEW alphapulse.runs IS 'Proxy: the training runs of every data server (splits, fold metrics, curves and trials stay on the data server)';

CREATE FUNCTION alphapulse.proxy_feed_status()
RETURNS TABLE (name text, kind text, format text, symbol text, cursor_ts timestamptz, last_success timestamptz,
			   last_error_at timestamptz, last_error text, consecutive_failures integer, rows_landed bigint,
			   queued bigint)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT f.name, f.kind, f.format, f.symbol, f.cursor_ts, f.last_success, f.last_error_at, f.last_error,
		f.consecutive_failures, f.rows_landed, f.queued FROM alphapulse.feed_status f;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_feed_status() IS 'Internal: alphapulse.feed_status of every data server';
CREATE VIEW alphapulse.feed_status AS SELECT * FROM alphapulse.proxy_feed_status();
COMMENT ON VIEW alphapulse.feed_status IS 'Proxy: the health of every feed on every data server';

CREATE FUNCTION alphapulse.proxy_champion_signals()
RETURNS TABLE (symbol text, ts timestamptz, model_id bigint, version integer, score double precision,
			   signal text, created timestamptz)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT s.symbol, s.ts, s.model_id, s.version, s.score, s.signal, s.created FROM alphapulse.champion_signals s;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_champion_signals() IS 'Internal: alphapulse.champion_signals of every data server';
CREATE VIEW alphapulse.champion_signals AS SELECT * FROM alphapulse.proxy_champion_signals();
COMMENT ON VIEW alphapulse.champion_signals IS 'Proxy: the current champion''s signals of every symbol on every data server';

CREATE FUNCTION alphapulse.proxy_evaluations()
RETURNS TABLE (id bigint, symbol text, champion_id bigint, challenger_id bigint, window_from timestamptz,
			   window_to timestamptz, rows integer, metric text, higher_is_better boolean,
			   champion_metrics jsonb, challenger_metrics jsonb, difference double precision,
			   ci_low double precision, ci_high double precision, confidence double precision,
			   block_length integer, resamples integer, seed bigint, policy jsonb, verdict text,
			   reason text, by_user text, evaluated_at timestamptz)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT e.id, e.symbol, e.champion_id, e.challenger_id, e.window_from, e.window_to, e.rows, e.metric,
		e.higher_is_better, e.champion_metrics, e.challenger_metrics, e.difference, e.ci_low, e.ci_high,
		e.confidence, e.block_length, e.resamples, e.seed, e.policy, e.verdict, e.reason, e.by_user,
		e.evaluated_at FROM alphapulse.evaluations e;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_evaluations() IS 'Internal: alphapulse.evaluations of every data server';
CREATE VIEW alphapulse.evaluations AS SELECT * FROM alphapulse.proxy_evaluations();
COMMENT ON VIEW alphapulse.evaluations IS 'Proxy: the ap_evaluate results of every data server (also the row type ap_evaluate returns here)';

CREATE FUNCTION alphapulse.proxy_model_events()
RETURNS TABLE (id bigint, symbol text, model_id bigint, event text, at timestamptz, by_user text,
			   reason text, details jsonb)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT e.id, e.symbol, e.model_id, e.event, e.at, e.by_user, e.reason, e.details FROM alphapulse.model_events e;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_model_events() IS 'Internal: alphapulse.model_events of every data server';
CREATE VIEW alphapulse.model_events AS SELECT * FROM alphapulse.proxy_model_events();
COMMENT ON VIEW alphapulse.model_events IS 'Proxy: the stage changes of the models of every data server (ids are unique across servers; order one symbol''s events by id)';

CREATE FUNCTION alphapulse.proxy_drift_reports()
RETURNS TABLE (id bigint, symbol text, model_id bigint, reference_from timestamptz, reference_to timestamptz,
			   current_from timestamptz, current_to timestamptz, reference_rows integer, current_rows integer,
			   share_drifted double precision, drifted boolean, drift_share double precision,
			   since timestamptz, options jsonb, created timestamptz, duration_ms double precision)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT r.id, r.symbol, r.model_id, r.reference_from, r.reference_to, r.current_from, r.current_to,
		r.reference_rows, r.current_rows, r.share_drifted, r.drifted, r.drift_share, r.since, r.options,
		r.created, r.duration_ms FROM alphapulse.drift_reports r;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_drift_reports() IS 'Internal: alphapulse.drift_reports of every data server';
CREATE VIEW alphapulse.drift_reports AS SELECT * FROM alphapulse.proxy_drift_reports();
COMMENT ON VIEW alphapulse.drift_reports IS 'Proxy: the ap_drift reports of every data server';

CREATE FUNCTION alphapulse.proxy_drift_features()
RETURNS TABLE (report_id bigint, feature text, method text, statistic double precision, p_value double precision,
			   threshold double precision, drifted boolean, reference_values integer, current_values integer,
			   distinct_values integer, "position" integer)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT f.report_id, f.feature, f.method, f.statistic, f.p_value, f.threshold, f.drifted,
		f.reference_values, f.current_values, f.distinct_values, f."position" FROM alphapulse.drift_features f;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_drift_features() IS 'Internal: alphapulse.drift_features of every data server';
CREATE VIEW alphapulse.drift_features AS SELECT * FROM alphapulse.proxy_drift_features();
COMMENT ON VIEW alphapulse.drift_features IS 'Proxy: the per-feature rows of the drift reports of every data server (report ids are unique across servers)';

CREATE FUNCTION alphapulse.proxy_retrain_requests()
RETURNS TABLE (id bigint, symbol text, requested_at timestamptz, reason text, drift_report_id bigint,
			   status text, model_id bigint, evaluation_id bigint, finished_at timestamptz, message text)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT r.id, r.symbol, r.requested_at, r.reason, r.drift_report_id, r.status, r.model_id, r.evaluation_id,
		r.finished_at, r.message FROM alphapulse.retrain_requests r;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_retrain_requests() IS 'Internal: alphapulse.retrain_requests of every data server';
CREATE VIEW alphapulse.retrain_requests AS SELECT * FROM alphapulse.proxy_retrain_requests();
COMMENT ON VIEW alphapulse.retrain_requests IS 'Proxy: the retrainings asked for by drift reports on every data server';

CREATE FUNCTION alphapulse.proxy_progress()
RETURNS TABLE (pid integer, username name, symbol text, function text, phase text, step bigint, steps bigint,
			   rows bigint, started timestamptz, elapsed interval, remaining interval)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT p.pid, p.username, p.symbol, p.function, p.phase, p.step, p.steps, p.rows, p.started, p.elapsed,
		p.remaining FROM alphapulse.progress p;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_progress() IS 'Internal: alphapulse.progress of every data server';
CREATE VIEW alphapulse.progress AS SELECT * FROM alphapulse.proxy_progress();
COMMENT ON VIEW alphapulse.progress IS 'Proxy: the long AlphaPulse calls in progress on every data server (pid is a backend of the server that holds the row''s symbol: ap_proxy_where(symbol) names it)';

CREATE FUNCTION alphapulse.proxy_realtime()
RETURNS TABLE (symbol text, enabled boolean, buy double precision, sell double precision, last_error text,
			   last_error_at timestamptz, created timestamptz, updated timestamptz)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT r.symbol, r.enabled, r.buy, r.sell, r.last_error, r.last_error_at, r.created, r.updated FROM alphapulse.realtime r;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_realtime() IS 'Internal: alphapulse.realtime of every data server';
CREATE VIEW alphapulse.realtime AS SELECT * FROM alphapulse.proxy_realtime();
COMMENT ON VIEW alphapulse.realtime IS 'Proxy: the symbols scored on arrival on every data server';

CREATE FUNCTION alphapulse.proxy_jobs()
RETURNS TABLE (symbol text, step text, jobname text, jobid bigint, schedule text, command text, running boolean,
			   last_started timestamptz, last_finished timestamptz, last_status text,
			   last_duration_ms double precision, last_message text, last_success timestamptz, runs bigint)
LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT j.symbol, j.step, j.jobname, j.jobid, j.schedule, j.command, j.running, j.last_started, j.last_finished,
		j.last_status, j.last_duration_ms, j.last_message, j.last_success, j.runs FROM alphapulse.jobs j;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_jobs() IS 'Internal: alphapulse.jobs of every data server';
CREATE VIEW alphapulse.jobs AS SELECT * FROM alphapulse.proxy_jobs();
COMMENT ON VIEW alphapulse.jobs IS 'Proxy: the scheduled jobs of every symbol on every data server, with their last runs (jobid is a cron.job id of the symbol''s server)';

-- Anyone may read them on the proxy: what each row shows is decided by the
-- caller's grants on the data servers, where the functions run as the caller.
GRANT SELECT ON alphapulse.assets, alphapulse.champions, alphapulse.models, alphapulse.signals,
	alphapulse.runs, alphapulse.feed_status, alphapulse.champion_signals, alphapulse.evaluations,
	alphapulse.model_events, alphapulse.drift_reports, alphapulse.drift_features,
	alphapulse.retrain_requests, alphapulse.progress, alphapulse.realtime, alphapulse.jobs TO PUBLIC;

------------------------------------------------------------------------------
-- Evaluation, backtests and annualisation: on the data server of the symbol,
-- where its models, features and bars are.  The result types are the data
-- servers' (alphapulse.evaluations is the merged view above).

CREATE FUNCTION @extschema@.ap_evaluate(symbol text, challenger bigint DEFAULT NULL,
										window_from timestamptz DEFAULT NULL, window_to timestamptz DEFAULT NULL)
RETURNS SETOF alphapulse.evaluations LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_evaluate(text, bigint, timestamptz, timestamptz) IS
'Proxy: ap_evaluate (champion against challengers on one out-of-time window, the symbol''s promotion policy) on the data server of the symbol; returns its alphapulse.evaluations rows';

CREATE TYPE @extschema@.ap_backtest_t AS (
	symbol			text,
	model_id		bigint,
	first_ts		timestamptz,
	last_ts			timestamptz,
	bars			integer,
	in_sample		boolean,
	in_sample_bars	integer,
	periods_per_year double precision,
	buy				double precision,
	sell			double precision,
	total_return	double precision,
	cagr			double precision,
	sharpe			double precision,
	sortino			double precision,
	max_drawdown	double precision,
	calmar			double precision,
	hit_rate		double precision,
	trades			integer,
	exposure		double precision,
	turnover		double precision,
	bh_total_return	double precision,
	bh_sharpe		double precision,
	bh_max_drawdown	double precision
);
COMMENT ON TYPE @extschema@.ap_backtest_t IS 'Proxy: the summary row of ap_backtest, as on the data servers';

CREATE FUNCTION @extschema@.ap_backtest(symbol text, model_id bigint DEFAULT NULL,
	"from" timestamptz DEFAULT NULL, "to" timestamptz DEFAULT NULL,
	fee_bps double precision DEFAULT 10, slippage_bps double precision DEFAULT 0,
	buy double precision DEFAULT NULL, sell double precision DEFAULT NULL,
	allow_short boolean DEFAULT false, allow_in_sample boolean DEFAULT false)
RETURNS @extschema@.ap_backtest_t LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_backtest(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) IS
'Proxy: ap_backtest (one summary row) on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_backtest_equity(symbol text, model_id bigint DEFAULT NULL,
	"from" timestamptz DEFAULT NULL, "to" timestamptz DEFAULT NULL,
	fee_bps double precision DEFAULT 10, slippage_bps double precision DEFAULT 0,
	buy double precision DEFAULT NULL, sell double precision DEFAULT NULL,
	allow_short boolean DEFAULT false, allow_in_sample boolean DEFAULT false)
RETURNS TABLE (ts timestamptz, score double precision, signal text, "position" integer,
	cost double precision, asset_return double precision, bar_return double precision,
	equity double precision, bh_equity double precision, drawdown double precision,
	in_sample boolean)
LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_backtest_equity(text, bigint, timestamptz, timestamptz, double precision, double precision,
	double precision, double precision, boolean, boolean) IS
'Proxy: ap_backtest_equity (the backtest''s curve, one row per bar) on the data server of the symbol';

-- STRICT as on the data servers: NULL for a NULL symbol (volatile: PL/Proxy functions must be).
CREATE FUNCTION @extschema@.ap_periods_per_year(symbol text)
RETURNS double precision LANGUAGE plproxy STRICT
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_periods_per_year(text) IS
'Proxy: ap_periods_per_year (bars per year of the symbol) on the data server of the symbol';

-- Scoring on arrival runs on the data server, in the transaction that lands a
-- symbol's bars; its NOTIFY alphapulse_signals is sent there (LISTEN on the
-- server ap_proxy_where names).
CREATE FUNCTION @extschema@.ap_realtime(symbol text, enabled boolean DEFAULT true,
										buy double precision DEFAULT NULL, sell double precision DEFAULT NULL)
RETURNS boolean LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_realtime(text, boolean, double precision, double precision) IS
'Proxy: ap_realtime (score the symbol''s bars as they land) on the data server of the symbol; its NOTIFY alphapulse_signals is sent on that server';

------------------------------------------------------------------------------
-- Schedules: a symbol's jobs are pg_cron jobs of the data server that holds
-- it (they run where the data is); alphapulse.jobs merges every server's.

CREATE FUNCTION @extschema@.ap_schedule(symbol text, options jsonb DEFAULT '{}')
RETURNS TABLE (step text, jobname text, jobid bigint, schedule text) LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_schedule(text, jsonb) IS
'Proxy: ap_schedule on the data server of the symbol (its pg_cron jobs run there; jobid is that server''s cron.job id)';

CREATE FUNCTION @extschema@.ap_unschedule(symbol text)
RETURNS integer LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_unschedule(text) IS
'Proxy: ap_unschedule on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_run_job(symbol text, step text)
RETURNS text LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_run_job(text, text) IS
'Proxy: ap_run_job (one step of the symbol''s loop, now) on the data server of the symbol';

CREATE FUNCTION @extschema@.ap_report(symbol text, bars integer DEFAULT 720, explain_rows integer DEFAULT 200)
RETURNS text LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.symbol_partition(symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_report(text, integer, integer) IS
'Proxy: ap_report (the symbol''s HTML report) on the data server of the symbol';

------------------------------------------------------------------------------
-- Models over time: export where the model is, import where the bundle's
-- symbol is, retention on every server.

CREATE FUNCTION alphapulse.proxy_export_model(part integer, model_id bigint)
RETURNS jsonb LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON part; SELECT ap_export_model(model_id) AS proxy_export_model; $fn$;
COMMENT ON FUNCTION alphapulse.proxy_export_model(integer, bigint) IS 'Internal: ap_export_model on a partition';
CREATE FUNCTION @extschema@.ap_export_model(model_id bigint)
RETURNS jsonb LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT alphapulse.proxy_export_model(alphapulse.model_partition($1), $1) $fn$;
COMMENT ON FUNCTION @extschema@.ap_export_model(bigint) IS
'Proxy: ap_export_model (a model''s self-describing bundle) on the data server that holds the model';

-- The symbol argument, else the bundle's: the model lands with its symbol.
CREATE FUNCTION alphapulse.bundle_partition(bundle jsonb, symbol text)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT alphapulse.symbol_partition(COALESCE($2, $1 OPERATOR(pg_catalog.->>) 'symbol')) $fn$;
COMMENT ON FUNCTION alphapulse.bundle_partition(jsonb, text) IS
'Internal: routing key of ap_import_model: the symbol given, else the bundle''s symbol (an error when neither is there)';

CREATE FUNCTION @extschema@.ap_import_model(bundle jsonb, symbol text DEFAULT NULL)
RETURNS bigint LANGUAGE plproxy
AS $fn$ CLUSTER 'alphapulse'; RUN ON alphapulse.bundle_partition(bundle, symbol); $fn$;
COMMENT ON FUNCTION @extschema@.ap_import_model(jsonb, text) IS
'Proxy: ap_import_model (register a bundle as a challenger) on the data server of the symbol given, else of the bundle''s symbol';

CREATE FUNCTION alphapulse.proxy_prune(part integer, symbol text, options jsonb)
RETURNS TABLE (relation text, deleted bigint) LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON part;
	SELECT p.relation, p.deleted FROM ap_prune(symbol, options) p;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_prune(integer, text, jsonb) IS 'Internal: ap_prune on a partition';

CREATE FUNCTION alphapulse.proxy_prune_all(options jsonb)
RETURNS TABLE (relation text, deleted bigint) LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON ALL;
	SELECT p.relation, p.deleted FROM ap_prune(NULL, options) p;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_prune_all(jsonb) IS 'Internal: ap_prune of every symbol on every data server';

CREATE FUNCTION @extschema@.ap_prune(symbol text DEFAULT NULL, options jsonb DEFAULT '{}'::jsonb)
RETURNS TABLE (relation text, deleted bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
	IF symbol IS NULL THEN
		RETURN QUERY SELECT p.relation, pg_catalog.sum(p.deleted)::bigint
			FROM alphapulse.proxy_prune_all(options) p GROUP BY p.relation ORDER BY p.relation;
	ELSE
		RETURN QUERY SELECT p.relation, p.deleted
			FROM alphapulse.proxy_prune(alphapulse.symbol_partition(symbol), symbol, options) p;
	END IF;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_prune(text, jsonb) IS
'Proxy: ap_prune (retention) on the data server of the symbol, or, for every symbol (NULL), on every data server, the rows deleted summed per relation. Each server prunes in its own transaction: after a failure, run it again';

------------------------------------------------------------------------------
-- Administration (superuser): the cluster map, and moving a symbol.

-- Ids drawn on partition p start at p * 2^40, so model, run, report … ids are
-- unique across servers and a moved row keeps its id.
CREATE FUNCTION alphapulse.id_block(part integer)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$ SELECT $1::bigint * 1099511627776 $fn$;
COMMENT ON FUNCTION alphapulse.id_block(integer) IS 'Internal: first id of a partition (partition * 2^40) for every AlphaPulse id sequence';

CREATE FUNCTION alphapulse.proxy_id_block(part integer, first bigint)
RETURNS SETOF bigint LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON part;
	SELECT pg_catalog.setval(sc.oid::pg_catalog.regclass, first)
	FROM pg_catalog.pg_class sc
	JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = sc.oid AND sq.seqmax >= first
	JOIN pg_catalog.pg_depend sd ON sd.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND sd.objid = sc.oid AND sd.deptype = 'e'
	JOIN pg_catalog.pg_extension se ON se.oid = sd.refobjid AND se.extname = 'alphapulse'
	WHERE sc.relkind = 'S'
		AND CASE WHEN sc.relkind = 'S' THEN COALESCE(pg_catalog.pg_sequence_last_value(sc.oid::pg_catalog.regclass), 0) < first END;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_id_block(integer, bigint) IS 'Internal: moves every AlphaPulse id sequence of a partition''s server to at least first';
REVOKE ALL ON FUNCTION alphapulse.proxy_id_block(integer, bigint) FROM PUBLIC;

CREATE FUNCTION @extschema@.ap_proxy_set_servers(servers text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	n integer := COALESCE(pg_catalog.cardinality(servers), 0);
	parts integer := 1;
	opts text := '';
	p integer;
BEGIN
	IF n = 0 OR pg_catalog.array_position(servers, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'servers must list at least one connection string, none null'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	WHILE parts < n LOOP
		parts := parts * 2;
	END LOOP;
	FOR p IN 0 .. parts - 1 LOOP
		opts := opts || pg_catalog.format('%s p%s %L', CASE WHEN p > 0 THEN ',' ELSE '' END, p,
										  servers[p % n + 1]);
	END LOOP;
	IF EXISTS (SELECT FROM pg_catalog.pg_foreign_server WHERE srvname = 'alphapulse') THEN
		EXECUTE 'DROP SERVER alphapulse CASCADE';
	END IF;
	EXECUTE 'CREATE SERVER alphapulse FOREIGN DATA WRAPPER plproxy OPTIONS (' || opts || ')';
	EXECUTE 'CREATE USER MAPPING FOR PUBLIC SERVER alphapulse';
	EXECUTE 'GRANT USAGE ON FOREIGN SERVER alphapulse TO PUBLIC';
	-- each server draws ids from the block of its highest partition
	FOR p IN 0 .. parts - 1 LOOP
		PERFORM alphapulse.proxy_id_block(p, alphapulse.id_block(p));
	END LOOP;
	RETURN parts;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_proxy_set_servers(text[]) IS
'Superuser: (re)defines the PL/Proxy cluster "alphapulse" over the given data servers (libpq connection strings): the next power of two of partitions, partition p on server p mod N, a PUBLIC user mapping (calls connect as the calling role), and each server''s AlphaPulse id sequences (models, runs, drift reports …) moved to its own block of 2^40; returns the partition count. Changing the count re-routes every unpinned symbol: move or pin symbols first';
REVOKE ALL ON FUNCTION @extschema@.ap_proxy_set_servers(text[]) FROM PUBLIC;

CREATE FUNCTION @extschema@.ap_proxy_partitions()
RETURNS TABLE (partition integer, server text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT pg_catalog.substr(pg_catalog.split_part(o, '=', 1), 2)::integer,
		pg_catalog.substr(o, pg_catalog.strpos(o, '=') + 1)
	FROM pg_catalog.pg_foreign_server s, pg_catalog.unnest(s.srvoptions) o
	WHERE s.srvname = 'alphapulse' AND o ~ '^p[0-9]+='
	ORDER BY 1
$fn$;
COMMENT ON FUNCTION @extschema@.ap_proxy_partitions() IS 'The cluster map: each partition and its data server''s connection string';
REVOKE ALL ON FUNCTION @extschema@.ap_proxy_partitions() FROM PUBLIC;

CREATE FUNCTION @extschema@.ap_proxy_where(symbol text)
RETURNS TABLE (partition integer, server text, pinned boolean)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT p.partition, p.server, EXISTS (SELECT FROM alphapulse.placement l WHERE l.symbol = $1)
	FROM @extschema@.ap_proxy_partitions() p
	WHERE p.partition = alphapulse.partition_of($1) & (alphapulse.partition_count() - 1)
$fn$;
COMMENT ON FUNCTION @extschema@.ap_proxy_where(text) IS
'The partition and data server a symbol''s calls go to, and whether it is pinned there by a move';
REVOKE ALL ON FUNCTION @extschema@.ap_proxy_where(text) FROM PUBLIC;

-- The three steps of a move, on one partition's server (alphapulse's
-- superuser-only symbol_export, symbol_import and symbol_delete).
CREATE FUNCTION alphapulse.proxy_symbol_export(part integer, symbol text)
RETURNS TABLE (depth integer, relation text, rows jsonb) LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON part;
	SELECT e.depth, e.relation, e.rows FROM alphapulse.symbol_export(symbol) e;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_symbol_export(integer, text) IS 'Internal: a symbol''s rows per table on a partition''s server';
REVOKE ALL ON FUNCTION alphapulse.proxy_symbol_export(integer, text) FROM PUBLIC;

CREATE FUNCTION alphapulse.proxy_symbol_import(part integer, relation text, rows jsonb)
RETURNS SETOF bigint LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON part;
	SELECT alphapulse.symbol_import(relation, rows);
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_symbol_import(integer, text, jsonb) IS 'Internal: inserts exported rows into a table on a partition''s server';
REVOKE ALL ON FUNCTION alphapulse.proxy_symbol_import(integer, text, jsonb) FROM PUBLIC;

CREATE FUNCTION alphapulse.proxy_symbol_delete(part integer, symbol text)
RETURNS TABLE (relation text, rows bigint) LANGUAGE plproxy
AS $fn$
	CLUSTER 'alphapulse'; RUN ON part;
	SELECT d.relation, d.rows FROM alphapulse.symbol_delete(symbol) d;
$fn$;
COMMENT ON FUNCTION alphapulse.proxy_symbol_delete(integer, text) IS 'Internal: deletes a symbol''s rows on a partition''s server';
REVOKE ALL ON FUNCTION alphapulse.proxy_symbol_delete(integer, text) FROM PUBLIC;

-- No SET clause: a procedure with one cannot COMMIT; everything is qualified.
CREATE PROCEDURE @extschema@.ap_proxy_move_symbol(symbol text, to_partition integer)
LANGUAGE plpgsql
AS $fn$
DECLARE
	parts integer := alphapulse.partition_count();
	src integer;
	src_server text;
	dst_server text;
	t record;
	want bigint;
	got bigint;
	moved jsonb := '{}';
BEGIN
	IF parts = 0 THEN
		RAISE EXCEPTION 'the proxy has no data servers' USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Run ap_proxy_set_servers() first.';
	END IF;
	IF to_partition IS NULL OR to_partition < 0 OR to_partition >= parts THEN
		RAISE EXCEPTION 'partition % does not exist', to_partition USING ERRCODE = 'invalid_parameter_value',
			DETAIL = pg_catalog.format('The cluster has partitions 0 to %s.', parts - 1);
	END IF;
	src := alphapulse.symbol_partition(symbol) & (parts - 1);
	SELECT p.server INTO src_server FROM @extschema@.ap_proxy_partitions() p WHERE p.partition = src;
	SELECT p.server INTO dst_server FROM @extschema@.ap_proxy_partitions() p WHERE p.partition = to_partition;
	IF src_server IS DISTINCT FROM dst_server THEN
		-- leftovers of an interrupted move
		PERFORM alphapulse.proxy_symbol_delete(to_partition, symbol);
		FOR t IN SELECT * FROM alphapulse.proxy_symbol_export(src, symbol) e ORDER BY e.depth, e.relation LOOP
			want := COALESCE(pg_catalog.jsonb_array_length(t.rows), 0);
			SELECT pg_catalog.sum(i) INTO got FROM alphapulse.proxy_symbol_import(to_partition, t.relation, t.rows) i;
			IF got IS DISTINCT FROM want THEN
				RAISE EXCEPTION 'moving % copied % of % rows of %', symbol, got, want, t.relation
					USING ERRCODE = 'data_exception';
			END IF;
			moved := moved || pg_catalog.jsonb_build_object(t.relation, want);
		END LOOP;
	END IF;
	INSERT INTO alphapulse.placement AS p (symbol, partition, rows_moved)
	VALUES (symbol, to_partition, moved)
	ON CONFLICT ON CONSTRAINT placement_pkey DO UPDATE
		SET partition = excluded.partition, moved = pg_catalog.now(), rows_moved = excluded.rows_moved;
	-- switch (the copy is complete), then delete the old rows
	COMMIT;
	IF src_server IS DISTINCT FROM dst_server THEN
		PERFORM alphapulse.proxy_symbol_delete(src, symbol);
	END IF;
	RAISE NOTICE 'moved % from partition % to partition %: %', symbol, src, to_partition, moved;
END
$fn$;
COMMENT ON PROCEDURE @extschema@.ap_proxy_move_symbol(text, integer) IS
'Superuser: moves a symbol to another partition''s data server: copies its rows of every AlphaPulse table that holds them (a symbol column, or a foreign key to such a table: assets, bars, features, runs, models with their ids, signals, feeds with their secrets and run log, drift reports …, parents first) and checks the counts, reseals its models under the new server''s key, pins the symbol in alphapulse.placement and commits, then deletes the old rows. Pause the symbol''s writers (feeds, schedules) while it runs; CALL it outside a transaction block';
REVOKE ALL ON PROCEDURE @extschema@.ap_proxy_move_symbol(text, integer) FROM PUBLIC;
