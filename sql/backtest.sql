-- ap_backtest and ap_backtest_equity: the case worked by hand in
-- test/unit/test_backtest.c through the tables (a logistic model of a
-- momentum walk scores five hand-made bars BUY, HOLD, SELL, HOLD, BUY), the
-- out-of-sample rule, shorts, and every bad input (clear SQLSTATE, nothing
-- written).  test/t/47_backtest_pandas.t checks the sample data against pandas.
SET client_min_messages = warning;
-- tests share one database: leave it as found (see the end)
CREATE TEMP TABLE bt_fresh AS SELECT NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'alphapulse') AS fresh;
CREATE EXTENSION IF NOT EXISTS alphapulse;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never
\set ECHO none
\i test/fixtures/backtest/hand.sql
\set ECHO all
SET alphapulse.progress_notices = off;
SELECT ap_feature_set('bt_momentum', '{"features": ["ret:1"]}');
SELECT ap_train('bt_hand', algorithm => 'logistic', feature_set => 'bt_momentum') AS hand_model \gset
-- five bars a year: the hand case's five bars are one year (cagr = total return)
UPDATE alphapulse.assets SET periods_per_year = 5 WHERE symbol = 'bt_hand';
-- bar K, the first of the hand case
SELECT '2024-01-01 00:00+00'::timestamptz + 400 * interval '1 hour' AS k \gset
-- each error's SQLSTATE and message (model ids, which depend on what ran
-- before in this database, shown as N)
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, 'model [0-9]+', 'model N', 'g');
END $$;

-- the hand case, bar by bar (fee 50 + slippage 50 bps: 1% per unit of |dp|)
SELECT ts OPERATOR(pg_catalog.-) :'k'::timestamptz AS bar, signal, position, cost, round(asset_return::numeric, 12) AS r,
	round(bar_return::numeric, 12) AS bar_return, round(equity::numeric, 12) AS equity,
	round(bh_equity::numeric, 12) AS bh_equity, round(drawdown::numeric, 12) AS drawdown, in_sample
FROM ap_backtest_equity('bt_hand', "from" => :'k', buy => 0.9, sell => 0.1, fee_bps => 50, slippage_bps => 50);
-- the scores are the model's: ap_predict of the same feature rows
SELECT bool_and(e.score = ap_predict(:hand_model, f.x)) AS scores_are_ap_predict, count(*) AS bars
FROM ap_backtest_equity('bt_hand', "from" => :'k', buy => 0.9, sell => 0.1) e
JOIN alphapulse.features f ON f.symbol = 'bt_hand' AND f.feature_set = 'bt_momentum' AND f.ts = e.ts;

-- the summary, each field next to the value worked by hand
SELECT b.model_id = :hand_model AS champion, b.first_ts = :'k' AS first_is_k, b.last_ts - b.first_ts AS span, b.bars,
	b.in_sample, b.in_sample_bars, b.periods_per_year, b.buy, b.sell, b.trades
FROM ap_backtest('bt_hand', "from" => :'k', buy => 0.9, sell => 0.1, fee_bps => 50, slippage_bps => 50) b;
SELECT f.field, round(f.got::numeric, 11) AS got, f.hand, abs(f.got - f.hand) < 1e-12 AS matches
FROM ap_backtest('bt_hand', "from" => :'k', buy => 0.9, sell => 0.1, fee_bps => 50, slippage_bps => 50) b,
LATERAL (VALUES
	('total_return', b.total_return, -0.135463591::float8),
	('cagr', b.cagr, -0.135463591),
	('sharpe', b.sharpe, -0.026 / sqrt(0.0066305) * sqrt(5)),
	('sortino', b.sortino, -0.026 / sqrt(0.00549525) * sqrt(5)),
	('max_drawdown', b.max_drawdown, 0.206119),
	('calmar', b.calmar, -0.135463591 / 0.206119),
	('hit_rate', b.hit_rate, 1 / 3.0),
	('exposure', b.exposure, 0.6),
	('turnover', b.turnover, 3),
	('bh_total_return', b.bh_total_return, 0.058508),
	('bh_sharpe', b.bh_sharpe, 0.0178 / sqrt(0.0165842) * sqrt(5)),
	('bh_max_drawdown', b.bh_max_drawdown, 0.1)) AS f(field, got, hand);

-- shorts: SELL goes to -1, a flip costs twice, the short loses on the +20% bar
SELECT signal, position, cost, round(equity::numeric, 12) AS equity
FROM ap_backtest_equity('bt_hand', "from" => :'k', buy => 0.9, sell => 0.1, fee_bps => 50, slippage_bps => 50,
	allow_short => true);
SELECT round(total_return::numeric, 12) AS total_return, round(max_drawdown::numeric, 12) AS max_drawdown,
	trades, turnover, exposure, round(bh_total_return::numeric, 12) AS bh_total_return
FROM ap_backtest('bt_hand', "from" => :'k', buy => 0.9, sell => 0.1, fee_bps => 50, slippage_bps => 50,
	allow_short => true);
-- no costs: equity is the product of (1 + p r); the +5%/flat/-5% scores with
-- ap_score's default thresholds (0.55/0.45) trade the same way
SELECT round(total_return::numeric, 12) AS total_return, round((1.1 * 0.9 * 0.9 - 1)::numeric, 12) AS by_hand,
	buy, sell, trades
FROM ap_backtest('bt_hand', "from" => :'k', fee_bps => 0);

-- out of sample by default: the curve starts after the training window
SELECT b.first_ts > m.train_to AS after_training, b.in_sample, b.in_sample_bars,
	b.first_ts = (SELECT min(f.ts) FROM alphapulse.features f WHERE f.symbol = 'bt_hand'
		AND f.feature_set = 'bt_momentum' AND f.ts > m.train_to) AS first_bar_after_train_to,
	b.last_ts = :'k'::timestamptz + interval '4 hours' AS last_with_two_later_bars
FROM ap_backtest('bt_hand') b JOIN alphapulse.models m ON m.id = b.model_id;
-- a window inside the training window is clipped to nothing: too few bars
SELECT pg_temp.err('SELECT ap_backtest(''bt_hand'', "from" => ''2024-01-02'', "to" => ''2024-01-05'')');
-- allow_in_sample takes it and says so, on the summary and on each bar
SELECT b.bars, b.in_sample, b.in_sample_bars = b.bars AS all_in_sample
FROM ap_backtest('bt_hand', "from" => '2024-01-02', "to" => '2024-01-05', allow_in_sample => true) b;
SELECT b.in_sample, b.in_sample_bars = (SELECT count(*) FROM ap_backtest_equity('bt_hand', allow_in_sample => true) e
		WHERE e.in_sample) AS curve_agrees,
	b.bars = (SELECT count(*) FROM alphapulse.features f WHERE f.symbol = 'bt_hand' AND f.feature_set = 'bt_momentum'
		AND array_position(f.x, NULL) IS NULL) - 2 AS every_complete_row_but_the_last_two
FROM ap_backtest('bt_hand', allow_in_sample => true) b;
-- the summary is the curve's: last equity, position changes, exposure
SELECT abs(b.total_return - (SELECT equity - 1 FROM ap_backtest_equity('bt_hand', allow_in_sample => true)
		ORDER BY ts DESC LIMIT 1)) < 1e-12 AS total_return_is_last_equity,
	b.trades = (SELECT count(*) FILTER (WHERE position <> coalesce(prev, 0)) FROM
		(SELECT position, lag(position) OVER (ORDER BY ts) AS prev FROM ap_backtest_equity('bt_hand', allow_in_sample => true)) s)
		AS trades_are_changes,
	abs(b.exposure - (SELECT avg((position <> 0)::int) FROM ap_backtest_equity('bt_hand', allow_in_sample => true))) < 1e-12
		AS exposure_is_share_in_market
FROM ap_backtest('bt_hand', allow_in_sample => true) b;
-- bars loaded after the features were built are left out, and said so: four
-- new bars K+10..K+13 give K+5 and K+6 their two later bars (t+1 is the next
-- bar of the table, gaps or not) and leave K+10 and K+11 unscored
BEGIN;
INSERT INTO alphapulse.bars (symbol, ts, open, high, low, close, volume)
SELECT symbol, ts + interval '7 hours', open, high, low, close, volume FROM alphapulse.bars
WHERE symbol = 'bt_hand' AND ts >= :'k'::timestamptz + interval '3 hours';
SELECT bars, last_ts - first_ts AS span FROM ap_backtest('bt_hand', "from" => :'k');
ROLLBACK;
-- any model of the symbol may be named, here a challenger (a model of another
-- symbol is refused below)
SELECT ap_train('bt_hand', algorithm => 'ridge', feature_set => 'bt_momentum') AS ridge_model \gset
SELECT model_id = :ridge_model AS challenger_used, buy, sell FROM ap_backtest('bt_hand', :ridge_model);

-- bad input: a clear error with its SQLSTATE, nothing written
INSERT INTO alphapulse.assets (symbol) VALUES ('bt_other'), ('bt_empty');
INSERT INTO alphapulse.bars SELECT 'bt_other', ts, open, high, low, close, volume FROM alphapulse.bars WHERE symbol = 'bt_hand';
SELECT ap_train('bt_other', algorithm => 'logistic', feature_set => 'bt_momentum') AS other_model \gset
-- the tables now: none of the calls below (failing or not) may change them
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM alphapulse.models) AS models, (SELECT count(*) FROM alphapulse.features) AS features,
	(SELECT count(*) FROM alphapulse.signals) AS signals, (SELECT count(*) FROM alphapulse.runs) AS runs,
	(SELECT count(*) FROM alphapulse.bars) AS bars;
SELECT * FROM ap_backtest('nosuch');
SELECT * FROM ap_backtest('bt_empty');
SELECT * FROM ap_backtest('bt_hand', "from" => '2024-01-10', "to" => '2024-01-09');
SELECT * FROM ap_backtest('bt_hand', fee_bps => -1);
SELECT * FROM ap_backtest('bt_hand', slippage_bps => -0.5);
SELECT * FROM ap_backtest('bt_hand', fee_bps => 4000, slippage_bps => 1001);
SELECT * FROM ap_backtest('bt_hand', buy => 0.4, sell => 0.6);
SELECT * FROM ap_backtest('bt_hand', buy => 1.5);
SELECT * FROM ap_backtest('bt_hand', sell => -0.1, buy => 0.2);
SELECT * FROM ap_backtest_equity('bt_hand', allow_short => NULL);
SELECT pg_temp.err(q) AS error FROM (VALUES
	('SELECT ap_backtest(NULL)'),
	('SELECT ap_backtest(''nosuch'')'),
	('SELECT ap_backtest(''bt_empty'')'),
	('SELECT ap_backtest(''bt_hand'', 999999999)'),
	('SELECT ap_backtest(''bt_hand'', ' || :other_model || ')'),
	('SELECT ap_backtest_equity(''bt_other'', ' || :hand_model || ')'),
	('SELECT ap_backtest(''bt_hand'', "from" => ''2024-01-10'', "to" => ''2024-01-10'')'),
	('SELECT ap_backtest(''bt_hand'', "from" => ''2024-01-02'', "to" => ''2024-01-05'')'),
	('SELECT ap_backtest_equity(''bt_hand'', "from" => ''' || (:'k'::timestamptz + interval '4 hours') || ''')'),
	('SELECT ap_backtest(''bt_hand'', fee_bps => -1)'),
	('SELECT ap_backtest(''bt_hand'', fee_bps => ''NaN'')'),
	('SELECT ap_backtest(''bt_hand'', fee_bps => NULL)'),
	('SELECT ap_backtest(''bt_hand'', fee_bps => 5000, slippage_bps => 0.01)'),
	('SELECT ap_backtest(''bt_hand'', buy => 0.4, sell => 0.6)'),
	('SELECT ap_backtest(''bt_hand'', buy => ''NaN'')'),
	('SELECT ap_backtest(''bt_hand'', buy => 2)'),
	('SELECT ap_backtest(''bt_hand'', ' || :ridge_model || ', buy => ''Infinity'')'),
	('SELECT ap_backtest_equity(''bt_hand'', allow_in_sample => NULL)')) AS c(q);
-- the limits themselves are accepted: no cost, and the largest cost
SELECT bars > 0 AS free, (SELECT bars > 0 FROM ap_backtest('bt_hand', fee_bps => 4999, slippage_bps => 1)) AS dearest
FROM ap_backtest('bt_hand', fee_bps => 0, slippage_bps => 0);
SELECT b.models = (SELECT count(*) FROM alphapulse.models) AS models_unchanged,
	b.features = (SELECT count(*) FROM alphapulse.features) AS features_unchanged,
	b.signals = (SELECT count(*) FROM alphapulse.signals) AS signals_unchanged,
	b.runs = (SELECT count(*) FROM alphapulse.runs) AS runs_unchanged,
	b.bars = (SELECT count(*) FROM alphapulse.bars) AS bars_unchanged
FROM before b;
-- nothing is left in alphapulse.progress after a backtest, even a failed one
SELECT count(*) AS progress_rows FROM alphapulse.progress WHERE pid = pg_backend_pid();

-- leave the database as found: the extension dropped if this test created it
-- (model ids then start again from 1 for the next test), else our rows removed
SET client_min_messages = warning;
DO $$
BEGIN
	IF (SELECT fresh FROM bt_fresh) THEN
		DROP EXTENSION alphapulse CASCADE;
	ELSE
		DELETE FROM alphapulse.models WHERE symbol IN ('bt_hand', 'bt_other');
		DELETE FROM alphapulse.runs WHERE symbol IN ('bt_hand', 'bt_other');
		DELETE FROM alphapulse.assets WHERE symbol IN ('bt_hand', 'bt_other', 'bt_empty');
		DELETE FROM alphapulse.feature_sets WHERE name = 'bt_momentum';
	END IF;
END $$;
RESET client_min_messages;
