-- BEGIN proxy 0.2.0
-- Scale-out (issue 12): what a data server offers the alphapulse_proxy layer
-- (sql/proxy/).  PL/Proxy calls remote functions by name, so every write or
-- dynamic read the proxy routes is a function here, usable on one server too:
-- ap_add_asset, ap_load_bars, ap_indicators; and, superuser only, the three
-- steps of moving a symbol between servers (export, import, delete).

CREATE FUNCTION @extschema@.ap_add_asset(symbol text, description text DEFAULT NULL,
										 bar_interval interval DEFAULT '1 hour')
RETURNS text
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
	INSERT INTO alphapulse.assets (symbol, description, bar_interval) VALUES ($1, $2, $3) RETURNING symbol
$fn$;
COMMENT ON FUNCTION @extschema@.ap_add_asset(text, text, interval) IS
'Adds an asset (INSERT INTO alphapulse.assets; an existing symbol is a unique violation); returns the symbol. Through alphapulse_proxy it runs on the symbol''s data server';

CREATE FUNCTION @extschema@.ap_load_bars(symbol text, ts timestamptz[], open numeric[], high numeric[],
										 low numeric[], close numeric[], volume numeric[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	n integer := COALESCE(pg_catalog.cardinality(ts), 0);
	landed bigint;
BEGIN
	IF n <> COALESCE(pg_catalog.cardinality(open), 0) OR n <> COALESCE(pg_catalog.cardinality(high), 0)
		OR n <> COALESCE(pg_catalog.cardinality(low), 0) OR n <> COALESCE(pg_catalog.cardinality(close), 0)
		OR n <> COALESCE(pg_catalog.cardinality(volume), 0) THEN
		RAISE EXCEPTION 'bar arrays differ in length'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('ts has %s elements, open %s, high %s, low %s, close %s, volume %s.', n,
						pg_catalog.cardinality(open), pg_catalog.cardinality(high), pg_catalog.cardinality(low),
						pg_catalog.cardinality(close), pg_catalog.cardinality(volume));
	END IF;
	-- as a feed lands a page: a later duplicate ts wins, a changed bar replaces the stored one
	WITH page AS (
		SELECT DISTINCT ON (u.ts) u.ts, u.o, u.h, u.l, u.c, u.v
		FROM ROWS FROM (pg_catalog.unnest(ts), pg_catalog.unnest(open), pg_catalog.unnest(high),
						pg_catalog.unnest(low), pg_catalog.unnest(close), pg_catalog.unnest(volume))
			WITH ORDINALITY AS u(ts, o, h, l, c, v, n)
		ORDER BY u.ts, u.n DESC
	), up AS (
		INSERT INTO alphapulse.bars AS b (symbol, ts, open, high, low, close, volume)
		SELECT ap_load_bars.symbol, p.ts, p.o, p.h, p.l, p.c, p.v FROM page p
		ON CONFLICT ON CONSTRAINT bars_pkey DO UPDATE SET open = excluded.open, high = excluded.high,
			low = excluded.low, close = excluded.close, volume = excluded.volume
		WHERE (b.open, b.high, b.low, b.close, b.volume) IS DISTINCT FROM
			(excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
		RETURNING 1
	)
	SELECT pg_catalog.count(*) INTO landed FROM up;
	RETURN landed;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_load_bars(text, timestamptz[], numeric[], numeric[], numeric[], numeric[], numeric[]) IS
'Lands bars of one symbol as a feed page does: the arrays are parallel (ts, open, high, low, close, volume; equal lengths), a later duplicate ts wins, a changed bar replaces the stored one, an identical one is skipped; returns the rows inserted or changed. Through alphapulse_proxy it runs on the symbol''s data server';

-- An indicator item: a call on bar columns and constants, optionally one
-- output field of a multi-output indicator.
CREATE FUNCTION alphapulse.indicator_sql(item text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	m text[];
	arg constant text := '(?:open|high|low|close|volume|-?[0-9]+(?:\.[0-9]+)?|true|false|''[a-z_]{1,16}'')';
BEGIN
	m := pg_catalog.regexp_match(pg_catalog.btrim(item),
		'^(\()?(ap_[a-z0-9_]{1,40})\(\s*(' || arg || '(?:\s*,\s*' || arg || ')*)?\s*\)(\)\.([a-z_]{1,40}))?$');
	IF m IS NULL OR (m[1] IS NULL) <> (m[4] IS NULL) THEN
		RAISE EXCEPTION 'indicator "%" is not an indicator call', item
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An item is ap_name(arguments) or (ap_name(arguments)).field; arguments are bar columns (open, high, low, close, volume) or constants.',
				  HINT = 'For example ''ap_rsi(close, 14)'' or ''(ap_macd(close, 12, 26, 9)).signal''.';
	END IF;
	RETURN pg_catalog.format('(@extschema@.%s(%s) OVER w)%s::numeric', m[2], COALESCE(m[3], ''),
							 COALESCE('.' || m[5], ''));
END
$fn$;
COMMENT ON FUNCTION alphapulse.indicator_sql(text) IS
'Internal: checks an indicator item of ap_indicators (a call on bar columns and constants, optionally one output field) and returns its window expression';

CREATE FUNCTION @extschema@.ap_indicators(symbol text, indicators text[], since timestamptz DEFAULT '-infinity')
RETURNS TABLE (ts timestamptz, indicator text, value numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	exprs text;
BEGIN
	IF COALESCE(pg_catalog.cardinality(indicators), 0) = 0 THEN
		RAISE EXCEPTION 'indicators must name at least one indicator' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF symbol IS NULL THEN
		RAISE EXCEPTION 'symbol must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM alphapulse.assets a WHERE a.symbol OPERATOR(pg_catalog.=) ap_indicators.symbol) THEN
		RAISE EXCEPTION 'unknown symbol "%"', symbol USING ERRCODE = 'undefined_object',
			  HINT = 'Symbols are registered in alphapulse.assets.';
	END IF;
	-- a NULL item would drop out of the values but not of the labels, shifting every later label
	IF pg_catalog.array_position(indicators, NULL) IS NOT NULL THEN
		RAISE EXCEPTION 'indicators must not contain NULL' USING ERRCODE = 'null_value_not_allowed',
			  DETAIL = pg_catalog.format('Item %s is NULL.', pg_catalog.array_position(indicators, NULL));
	END IF;
	SELECT pg_catalog.string_agg(alphapulse.indicator_sql(u.i), ', ' ORDER BY u.o)
	INTO exprs FROM pg_catalog.unnest(indicators) WITH ORDINALITY AS u(i, o);
	-- warm-up over the whole history, then only the rows from since on
	RETURN QUERY EXECUTE pg_catalog.format(
		'SELECT s.ts, $2[v.o::integer], v.val'
		' FROM (SELECT b.ts, ARRAY[%s] AS vals FROM alphapulse.bars b WHERE b.symbol OPERATOR(pg_catalog.=) $1'
		' WINDOW w AS (ORDER BY b.ts)) s, pg_catalog.unnest(s.vals) WITH ORDINALITY AS v(val, o)'
		' WHERE s.ts OPERATOR(pg_catalog.>=) $3 ORDER BY s.ts, v.o', exprs)
	USING symbol, indicators, since;
END
$fn$;
COMMENT ON FUNCTION @extschema@.ap_indicators(text, text[], timestamptz) IS
'Indicator values over a symbol''s bars (numeric), computed over the whole history (warm-up included) and returned for the bars from since on, one row per bar and item in time then item order; items are calls on bar columns and constants such as ''ap_rsi(close, 14)'' or ''(ap_macd(close, 12, 26, 9)).signal''. Through alphapulse_proxy it runs on the symbol''s data server';

-- Moving a symbol (superuser, driven by the proxy's ap_proxy_move_symbol):
-- every AlphaPulse table with a symbol column, and every table whose foreign
-- key points at one (drift_features, feed_secrets, feed_runs …), parents
-- first.  filter selects the symbol's rows of the table aliased symbol_row,
-- the symbol being $1.
CREATE FUNCTION alphapulse.symbol_tables()
RETURNS TABLE (depth integer, relation regclass, filter text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
	WITH RECURSIVE ext AS (
		SELECT c.oid, EXISTS (SELECT FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid
							  AND a.attname = 'symbol' AND NOT a.attisdropped) AS has_symbol
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e'
		JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'alphapulse'
		WHERE c.relkind IN ('r', 'p')
	), fk AS (
		SELECT k.conname, k.conrelid, k.confrelid, k.conkey, k.confkey FROM pg_catalog.pg_constraint k
		WHERE k.contype = 'f' AND k.conrelid <> k.confrelid
			AND k.conrelid IN (SELECT oid FROM ext) AND k.confrelid IN (SELECT oid FROM ext)
	), child AS (	-- a table without a symbol column: the first key to a table with one
		SELECT DISTINCT ON (fk.conrelid) fk.*
		FROM fk JOIN ext c ON c.oid = fk.conrelid AND NOT c.has_symbol
			JOIN ext p ON p.oid = fk.confrelid AND p.has_symbol
		ORDER BY fk.conrelid, fk.conname
	), moved AS (
		SELECT oid FROM ext WHERE has_symbol UNION SELECT conrelid FROM child
	), lvl(oid, depth) AS (
		SELECT oid, 0 FROM moved
		UNION ALL
		SELECT fk.conrelid, lvl.depth + 1 FROM lvl JOIN fk ON fk.confrelid = lvl.oid
		WHERE fk.conrelid IN (SELECT oid FROM moved)
	)
	SELECT pg_catalog.max(l.depth)::integer, l.oid::pg_catalog.regclass,
		CASE WHEN x.has_symbol THEN 'symbol_row.symbol OPERATOR(pg_catalog.=) $1'
		ELSE (SELECT pg_catalog.format('(%s) IN (SELECT %s FROM %s p WHERE p.symbol OPERATOR(pg_catalog.=) $1)',
					 (SELECT pg_catalog.string_agg('symbol_row.' || pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n)
					  FROM pg_catalog.unnest(ch.conkey) WITH ORDINALITY k(att, n)
					  JOIN pg_catalog.pg_attribute a ON a.attrelid = ch.conrelid AND a.attnum = k.att),
					 (SELECT pg_catalog.string_agg('p.' || pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n)
					  FROM pg_catalog.unnest(ch.confkey) WITH ORDINALITY k(att, n)
					  JOIN pg_catalog.pg_attribute a ON a.attrelid = ch.confrelid AND a.attnum = k.att),
					 ch.confrelid::pg_catalog.regclass)
			  FROM child ch WHERE ch.conrelid = l.oid) END
	FROM lvl l JOIN ext x ON x.oid = l.oid
	GROUP BY l.oid, x.has_symbol
	ORDER BY 1, l.oid::pg_catalog.regclass::text
$fn$;
COMMENT ON FUNCTION alphapulse.symbol_tables() IS
'Internal: the AlphaPulse tables that hold a symbol''s rows (a symbol column, or a foreign key to a table with one), their foreign-key depth (parents first), and the condition on alias symbol_row that selects the symbol ($1)';

CREATE FUNCTION alphapulse.symbol_export(symbol text)
RETURNS TABLE (depth integer, relation text, rows jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT st.depth, st.relation, st.filter FROM alphapulse.symbol_tables() st LOOP
		depth := t.depth;
		relation := t.relation::text;
		EXECUTE pg_catalog.format('SELECT pg_catalog.jsonb_agg(symbol_row) FROM %s symbol_row WHERE %s', t.relation, t.filter)
			INTO rows USING symbol;
		RETURN NEXT;
	END LOOP;
END
$fn$;
COMMENT ON FUNCTION alphapulse.symbol_export(text) IS
'Superuser: every row of a symbol in every AlphaPulse table that holds them (alphapulse.symbol_tables()), as one jsonb array per table, parents first; the first step of moving a symbol';
REVOKE ALL ON FUNCTION alphapulse.symbol_export(text) FROM PUBLIC;

CREATE FUNCTION alphapulse.symbol_import(relation text, rows jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	rel regclass;
	n bigint;
	ids bigint[];
	others bigint[];
	bad record;
BEGIN
	SELECT t.relation INTO rel FROM alphapulse.symbol_tables() t WHERE t.relation::text = symbol_import.relation;
	IF rel IS NULL THEN
		RAISE EXCEPTION 'relation "%" holds no symbol rows', relation USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF rows IS NULL OR pg_catalog.jsonb_typeof(rows) <> 'array' THEN
		RETURN 0;
	END IF;
	EXECUTE pg_catalog.format('WITH i AS (INSERT INTO %s SELECT * FROM pg_catalog.jsonb_populate_recordset(NULL::%s, $1) RETURNING 1)'
							  ' SELECT pg_catalog.count(*) FROM i', rel, rel) INTO n USING rows;
	-- a model's seal is under its old server's key: seal it under this one's.
	-- seal_models() seals every unsealed model; the others (left unsealed by
	-- an admin, e.g. restored from an untrusted cluster) stay unsealed, and an
	-- imported model that fails validation fails the import.
	IF rel = 'alphapulse.models'::pg_catalog.regclass THEN
		SELECT pg_catalog.array_agg((r OPERATOR(pg_catalog.->>) 'id')::bigint) INTO ids
		FROM pg_catalog.jsonb_array_elements(rows) r;
		SELECT pg_catalog.array_agg(m.id) INTO others FROM alphapulse.models m
		WHERE m.model_hmac IS NULL AND m.id OPERATOR(pg_catalog.<>) ALL (ids);
		UPDATE alphapulse.models m SET model_hmac = NULL WHERE m.id OPERATOR(pg_catalog.=) ANY (ids);
		SELECT s.model_id, s.reason INTO bad FROM alphapulse.seal_models() s
		WHERE s.model_id OPERATOR(pg_catalog.=) ANY (ids) AND NOT s.sealed LIMIT 1;
		IF FOUND THEN
			RAISE EXCEPTION 'imported model % failed validation', bad.model_id
				USING ERRCODE = 'data_corrupted', DETAIL = bad.reason;
		END IF;
		UPDATE alphapulse.models m SET model_hmac = NULL WHERE m.id OPERATOR(pg_catalog.=) ANY (others);
	END IF;
	RETURN n;
END
$fn$;
COMMENT ON FUNCTION alphapulse.symbol_import(text, jsonb) IS
'Superuser: inserts rows exported by alphapulse.symbol_export into one table (ids kept); imported models are validated and sealed under this server''s key (a model that fails validation fails the import; other unsealed models stay unsealed). Returns the rows inserted';
REVOKE ALL ON FUNCTION alphapulse.symbol_import(text, jsonb) FROM PUBLIC;

CREATE FUNCTION alphapulse.symbol_delete(symbol text)
RETURNS TABLE (relation text, rows bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	t record;
BEGIN
	FOR t IN SELECT st.depth, st.relation, st.filter FROM alphapulse.symbol_tables() st
			 ORDER BY st.depth DESC, st.relation::text LOOP
		relation := t.relation::text;
		EXECUTE pg_catalog.format('WITH d AS (DELETE FROM %s symbol_row WHERE %s RETURNING 1)'
								  ' SELECT pg_catalog.count(*) FROM d', t.relation, t.filter) INTO rows USING symbol;
		RETURN NEXT;
	END LOOP;
END
$fn$;
COMMENT ON FUNCTION alphapulse.symbol_delete(text) IS
'Superuser: deletes every row of a symbol from every AlphaPulse table that holds them (children first); rows deleted per table. The last step of moving a symbol';
REVOKE ALL ON FUNCTION alphapulse.symbol_delete(text) FROM PUBLIC;

REVOKE ALL ON FUNCTION @extschema@.ap_add_asset(text, text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ap_load_bars(text, timestamptz[], numeric[], numeric[], numeric[], numeric[], numeric[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.ap_indicators(text, text[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.ap_add_asset(text, text, interval) TO alphapulse_writer;
GRANT EXECUTE ON FUNCTION @extschema@.ap_load_bars(text, timestamptz[], numeric[], numeric[], numeric[], numeric[], numeric[]) TO alphapulse_writer;
GRANT EXECUTE ON FUNCTION @extschema@.ap_indicators(text, text[], timestamptz) TO alphapulse_reader;
REVOKE ALL ON FUNCTION alphapulse.symbol_tables() FROM PUBLIC;
-- END proxy 0.2.0
