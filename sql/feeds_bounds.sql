-- Magnitude and date bounds (issue 7, finding 10): a feed page or an INSERT
-- carrying 1e5000, 1e16, -1, NaN, a 400-digit number or 60 decimal places is
-- refused; the parsers (src/feed_bounds.h) and the CHECKs on alphapulse.bars
-- agree at the boundary; every indicator works on the largest accepted bars;
-- Atom and RSS dates infinity, now, epoch, BC and year 99999 are refused.
\set SHOW_CONTEXT never
SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS alphapulse; RESET client_min_messages;
SET TIME ZONE 'UTC';
INSERT INTO alphapulse.assets (symbol) VALUES ('fb_btc');

-- the bounds, as the C code has them (not for PUBLIC)
SELECT * FROM ap_feed_bounds();
SELECT has_function_privilege('public', 'ap_feed_bounds()', 'EXECUTE') AS public_may_call;

-- A binance page whose first kline's open is the given text; the page's result.
CREATE FUNCTION pg_temp.page(open_text text, as_string boolean DEFAULT true) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	v text := CASE WHEN as_string THEN '"' || open_text || '"' ELSE open_text END;
	n int;
BEGIN
	SELECT count(*) INTO n FROM ap_feed_parse('binance',
		'[[1609459200000,' || v || ',"999999999999999","0.5","1","1",1609462799999],' ||
		' [1609462800000,"1","1","1","1","1",1609466399999]]');
	RETURN 'accepted ' || n || ' bars';
EXCEPTION WHEN OTHERS THEN
	RETURN 'refused ' || SQLSTATE || ': ' || SQLERRM;
END $$;

-- the attacks on a binance page: the whole page is refused, nothing is returned
SELECT label, pg_temp.page(v, s) AS result FROM (VALUES
	('1e5000 string', '1e5000', true), ('1e5000 number', '1e5000', false),
	('1e16', '1e16', true), ('-1', '-1', false), ('0', '0', true),
	('NaN', 'NaN', true), ('Infinity', '-Infinity', true),
	('400 digits', repeat('9', 400), false),
	('60 decimals', '0.' || repeat('1', 60), true),
	('1e-31', '1e-31', false), ('tiny exponent', '1e-999999999999', true),
	('huge exponent', '1e999999999999999999999', true),
	('spaces', ' 1', true), ('hex', '0x10', true)) AS t(label, v, s);
-- the error names the field and row, with the bound
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"1","1e5000","1","1","1",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"1","1","1","1","1",1609462799999],[1609462800000,"1","1","1","1","-1",1609466399999]]');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"1","1","1","1","0.' || repeat('0', 60) || '1",1609462799999]]');
SELECT * FROM ap_feed_parse('binance', '[[1609459200000,"1","1","1","1","1e18",1609462799999]]');
-- every price format checks its numbers
SELECT * FROM ap_feed_parse('coinbase', '[[1609459200,1,1e5000,1,1,1]]');
SELECT * FROM ap_feed_parse('kraken', '{"error":[],"result":{"X":[[1609459200,"1","1","1","NaN","1","1",1],[1609462800,"1","1","1","1","1","1",1]]}}');
SELECT * FROM ap_feed_parse('coingecko', '{"prices":[[1609459200000,1e16]]}');
SELECT * FROM ap_feed_parse('yahoo', '{"chart":{"result":[{"timestamp":[1609459200],"indicators":{"quote":[{"open":[1],"high":[1],"low":[1],"close":[1],"volume":[-5]}]}}],"error":null}}');

-- the same values in an INSERT: 23514 from the bars' CHECKs
CREATE FUNCTION pg_temp.ins(o numeric, v numeric DEFAULT 1) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO alphapulse.bars VALUES ('fb_btc', '2021-06-01', o, greatest(o, 1), least(o, 1), o, v);
	DELETE FROM alphapulse.bars WHERE symbol = 'fb_btc';
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN 'refused ' || SQLSTATE || ' ' || (regexp_match(SQLERRM, 'constraint "(\w+)"'))[1];
END $$;
SELECT label, pg_temp.ins(o, v) AS result FROM (VALUES
	('1e5000', 1e5000, 1::numeric), ('1e16', 1e16, 1), ('-1', -1, 1), ('NaN', 'NaN', 1),
	('400 digits', repeat('9', 400)::numeric, 1), ('60 decimals', ('0.' || repeat('1', 60))::numeric, 1),
	('volume 1e18', 1, 1e18), ('volume 60 decimals', 1, ('0.' || repeat('1', 60))::numeric)) AS t(label, o, v);
INSERT INTO alphapulse.bars VALUES ('fb_btc', '0001-01-01 BC', 1, 1, 1, 1, 1);
INSERT INTO alphapulse.bars VALUES ('fb_btc', '1969-12-31 23:59:59.999999+00', 1, 1, 1, 1, 1);

-- The bounds agree: built from ap_feed_bounds(), each value is accepted by
-- both the parser and the CHECK, or refused by both.
CREATE TEMP TABLE edge AS
SELECT label, v, field
FROM ap_feed_bounds() b,
LATERAL (VALUES
	('largest price', repeat('9', b.price_max_int_digits) || '.' || repeat('9', b.max_scale), 'open'),
	('price 10^digits', '1' || repeat('0', b.price_max_int_digits), 'open'),
	('smallest price', '0.' || repeat('0', b.max_scale - 1) || '1', 'open'),
	('price scale + 1', '0.' || repeat('0', b.max_scale) || '1', 'open'),
	('price with trailing zeros past scale', '1.' || repeat('0', b.max_scale + 1), 'open'),
	('price 1e(digits-1)', '1e' || (b.price_max_int_digits - 1), 'open'),
	('price 1e(digits)', '1e' || b.price_max_int_digits, 'open'),
	('price 0', '0', 'open'),
	('largest volume', repeat('9', b.volume_max_int_digits) || '.' || repeat('9', b.max_scale), 'volume'),
	('volume 10^digits', '1' || repeat('0', b.volume_max_int_digits), 'volume'),
	('volume 0', '0', 'volume'),
	('volume scale + 1', '0.' || repeat('0', b.max_scale) || '1', 'volume'),
	('volume -1e-30', '-1e-' || b.max_scale, 'volume')) AS t(label, v, field);
CREATE FUNCTION pg_temp.by_parser(v text, field text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM * FROM ap_feed_parse('binance', CASE field
		WHEN 'open' THEN '[[1609459200000,"' || v || '","' || v || '","' || v || '","' || v || '","1",1609462799999]]'
		ELSE '[[1609459200000,"1","1","1","1","' || v || '",1609462799999]]' END);
	RETURN true;
EXCEPTION WHEN numeric_value_out_of_range THEN
	RETURN false;
END $$;
CREATE FUNCTION pg_temp.by_check(v text, field text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	IF field = 'open' THEN
		INSERT INTO alphapulse.bars VALUES ('fb_btc', '2021-06-01', v::numeric, v::numeric, v::numeric, v::numeric, 1);
	ELSE
		INSERT INTO alphapulse.bars VALUES ('fb_btc', '2021-06-01', 1, 1, 1, 1, v::numeric);
	END IF;
	DELETE FROM alphapulse.bars WHERE symbol = 'fb_btc';
	RETURN true;
EXCEPTION WHEN check_violation THEN
	RETURN false;
END $$;
SELECT label, pg_temp.by_parser(v, field) AS parser_accepts, pg_temp.by_check(v, field) AS check_accepts,
	   pg_temp.by_parser(v, field) = pg_temp.by_check(v, field) AS agree
FROM edge;

-- Every indicator (read from the catalog: each ap_* window function, numeric
-- and float8) runs on 80 bars at the bounds: prices swinging between the
-- largest and the smallest accepted, volumes at the largest.  No 22003.
INSERT INTO alphapulse.bars
SELECT 'fb_btc', '2021-01-01'::timestamptz + i * interval '1 hour',
	   CASE WHEN i % 2 = 0 THEN hi ELSE lo END, hi, lo, CASE WHEN i % 3 = 0 THEN hi ELSE lo END, vol
FROM generate_series(1, 80) i, ap_feed_bounds() b,
	 LATERAL (SELECT (repeat('9', b.price_max_int_digits) || '.' || repeat('9', b.max_scale))::numeric AS hi,
					 ('0.' || repeat('0', b.max_scale - 1) || '1')::numeric AS lo,
					 (repeat('9', b.volume_max_int_digits) || '.' || repeat('9', b.max_scale))::numeric AS vol) x;
CREATE FUNCTION pg_temp.indicators_at_bounds(cast_to text) RETURNS TABLE (tested int, failed text[])
LANGUAGE plpgsql AS $$
DECLARE
	f record;
	args text;
	n int := 0;
	bad text[] := '{}';
BEGIN
	FOR f IN
		SELECT p.proname, p.proargnames, p.pronargs - p.pronargdefaults AS nreq
		FROM pg_proc p
		WHERE p.prokind = 'w' AND p.proname LIKE 'ap\_%'
		  AND p.proargtypes[0] = cast_to::regtype
		ORDER BY 1
	LOOP
		SELECT string_agg(format('%s::%s', CASE a WHEN 'x' THEN 'close' ELSE a END, cast_to), ', ')
		INTO args FROM unnest(f.proargnames[1:f.nreq]) a;
		BEGIN
			EXECUTE format('SELECT count(r) FROM (SELECT %I(%s) OVER (ORDER BY ts) AS r FROM alphapulse.bars WHERE symbol = %L) s',
						   f.proname, args, 'fb_btc');
			n := n + 1;
		EXCEPTION WHEN OTHERS THEN
			bad := bad || (f.proname || ': ' || SQLSTATE || ' ' || SQLERRM);
		END;
	END LOOP;
	RETURN QUERY SELECT n, bad;
END $$;
SELECT tested > 40 AS all_window_functions, failed FROM pg_temp.indicators_at_bounds('numeric');
SELECT tested > 40 AS all_window_functions, failed FROM pg_temp.indicators_at_bounds('double precision');
DELETE FROM alphapulse.bars WHERE symbol = 'fb_btc';

-- News dates: infinity, now, epoch, BC and out-of-range years refuse the
-- page (today's policy for an unreadable date), naming the item.
CREATE FUNCTION pg_temp.atom(d text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	p timestamptz;
BEGIN
	SELECT published INTO p FROM ap_feed_parse_news(
		'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:ok</id><updated>2021-01-01T00:00:00Z</updated></entry>' ||
		'<entry><id>urn:x</id><updated>' || d || '</updated></entry></feed>') WHERE guid = 'urn:x';
	RETURN 'accepted ' || p;
EXCEPTION WHEN OTHERS THEN
	RETURN 'refused ' || SQLSTATE || ': ' || SQLERRM;
END $$;
CREATE FUNCTION pg_temp.rss(d text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	p timestamptz;
BEGIN
	SELECT published INTO p FROM ap_feed_parse_news(
		'<rss><channel><item><guid>x</guid><pubDate>' || d || '</pubDate></item></channel></rss>');
	RETURN 'accepted ' || p;
EXCEPTION WHEN OTHERS THEN
	RETURN 'refused ' || SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT d AS atom_date, pg_temp.atom(d) AS result FROM unnest(ARRAY[
	'infinity', '-infinity', 'now', 'today', 'epoch', '0001-01-01 BC', '0001-01-01T00:00:00Z',
	'99999-01-01', '99999-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '2021-02-29T00:00:00Z',
	'2021-01-01T24:00:00Z', '2021-01-01T10:00:00+24:00', '2021-01-01', '9999-12-31T23:59:59-01:00',
	'2021-01-01T10:00:00.1234567+02:00', '2024-02-29t23:59:60z', '1970-01-01T00:00:00Z',
	'9999-12-31T23:59:59.999999Z']) d;
SELECT * FROM ap_feed_parse_news('<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a</id><updated>2021-01-01T00:00:00Z</updated></entry><entry><id>b</id><updated>infinity</updated></entry></feed>');
SELECT d AS rss_date, pg_temp.rss(d) AS result FROM unnest(ARRAY[
	'infinity', 'now', 'epoch', 'Fri, 01 Jan 0001 00:00:00 BC', 'Sat, 01 Jan 99999 00:00:00 GMT',
	'Fri, 01 Jan 2021 08:00:00 GMT', 'Fri, 01 Jan 2021 09:30:00 +0100', '1 Jan 21 08:00 EST',
	'Fri, 01 Jan 2021 08:00:00 XYZ', 'Fri, 30 Feb 2021 08:00:00 GMT', 'Thu, 01 Jan 1970 00:00:00 +0100']) d;

DELETE FROM alphapulse.assets WHERE symbol = 'fb_btc';
