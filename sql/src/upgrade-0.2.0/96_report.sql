-- BEGIN report 0.2.0
-- ap_report(symbol): one self-contained HTML document (inline CSS and SVG,
-- no script, and a Content-Security-Policy that forbids fetching anything)
-- with the state of a symbol's loop.  Every text that comes from data goes
-- through alphapulse.html_escape.  The chart helpers are plain functions of
-- their input so a test can check them alone.

CREATE FUNCTION alphapulse.html_escape(t text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
	t, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;');
COMMENT ON FUNCTION alphapulse.html_escape(text) IS 'Text made safe for HTML element content and quoted attribute values: & < > " and '' as character references';

-- The report's functions run with jit = off: jsonb_array_elements' default
-- row estimates make small queries look big enough to JIT-compile, which costs
-- more than the queries.

-- Chart geometry, in one place (viewBox units).
CREATE FUNCTION alphapulse.report_geometry()
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN '{"width": 960, "height": 280, "left": 70, "right": 20, "top": 20, "bottom": 40, "bar_height": 16}'::jsonb;
COMMENT ON FUNCTION alphapulse.report_geometry() IS 'Sizes of the report''s SVG charts in viewBox units: width, height and margins of line charts, height of a bar chart''s row';

-- The points of a chart's series and markers, in one place for extent and
-- drawing: narrow rows (the series objects are not carried to the sort).
CREATE FUNCTION alphapulse.report_points(series jsonb, markers jsonb)
RETURNS TABLE (k text, i bigint, x float8, y float8)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	-- x and y are zipped in one pass (indexing y per point would copy it per point)
	SELECT src.k, s.i, (xy.x #>> '{}')::float8, (xy.y #>> '{}')::float8
	FROM (VALUES ('line', coalesce(series, '[]'::jsonb)), ('marker', coalesce(markers, '[]'::jsonb))) AS src(k, arr)
	CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(src.arr) = 'array' THEN src.arr ELSE '[]' END) WITH ORDINALITY AS s(v, i)
	CROSS JOIN LATERAL ROWS FROM (
		jsonb_array_elements(CASE WHEN jsonb_typeof(s.v -> 'x') = 'array' THEN s.v -> 'x' ELSE '[]' END),
		jsonb_array_elements(CASE WHEN jsonb_typeof(s.v -> 'y') = 'array' THEN s.v -> 'y' ELSE '[]' END)) AS xy(x, y)
	WHERE jsonb_typeof(xy.x) = 'number' AND jsonb_typeof(xy.y) = 'number';
END;
COMMENT ON FUNCTION alphapulse.report_points(jsonb, jsonb) IS 'The drawable points of report_line_chart''s series and markers: kind (line, marker), series number, x, y; points with a missing or non-numeric x or y are left out';

-- Name and CSS class of each series and marker set of a chart.
CREATE FUNCTION alphapulse.report_series(series jsonb, markers jsonb)
RETURNS TABLE (k text, i bigint, name text, cls text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT src.k, s.i, coalesce(s.v ->> 'name', ''), coalesce(s.v ->> 'class', 'series' || s.i)
	FROM (VALUES ('line', coalesce(series, '[]'::jsonb)), ('marker', coalesce(markers, '[]'::jsonb))) AS src(k, arr)
	CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(src.arr) = 'array' THEN src.arr ELSE '[]' END) WITH ORDINALITY AS s(v, i);
END;
COMMENT ON FUNCTION alphapulse.report_series(jsonb, jsonb) IS 'Kind (line, marker), number, name and CSS class of report_line_chart''s series and markers';

-- A line chart: series and markers are [{"name": ..., "class": ..., "x": [...], "y": [...]}]
-- (x: numbers, epoch seconds when x_is_time); points with a null x or y are left out.
-- Each series is one <polyline data-points="n">, each marker one <circle>.
CREATE FUNCTION alphapulse.report_line_chart(id text, title text, series jsonb,
	markers jsonb DEFAULT '[]', x_is_time boolean DEFAULT true, y_label text DEFAULT '')
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
	g CONSTANT jsonb := alphapulse.report_geometry();
	w CONSTANT float8 := (g ->> 'width')::float8;
	h CONSTANT float8 := (g ->> 'height')::float8;
	l CONSTANT float8 := (g ->> 'left')::float8;
	r CONSTANT float8 := (g ->> 'right')::float8;
	t CONSTANT float8 := (g ->> 'top')::float8;
	b CONSTANT float8 := (g ->> 'bottom')::float8;
	x0 float8; x1 float8; y0 float8; y1 float8;
	body text;
	legend text;
	npoints bigint;
BEGIN
	SELECT min(p.x), max(p.x), min(p.y), max(p.y), count(*) INTO x0, x1, y0, y1, npoints
	FROM alphapulse.report_points(series, markers) p;
	IF npoints = 0 THEN
		RETURN format('<figure id="%s"><figcaption>%s</figcaption><p class="empty">No data.</p>'
					  '<svg class="chart" data-chart="%s" data-points="0" viewBox="0 0 %s %s"></svg></figure>',
					  alphapulse.html_escape(id), alphapulse.html_escape(title), alphapulse.html_escape(id), w, 40);
	END IF;
	IF x1 = x0 THEN x0 := x0 - 1; x1 := x1 + 1; END IF;
	IF y1 = y0 THEN y0 := y0 - 1; y1 := y1 + 1; END IF;
	SELECT string_agg(CASE m.k WHEN 'line' THEN
				format('<polyline class="%s" data-series="%s" data-points="%s" points="%s"/>',
					   alphapulse.html_escape(m.cls), alphapulse.html_escape(m.name), g.n, g.drawn)
			ELSE
				format('<g class="%s" data-series="%s" data-points="%s">%s</g>',
					   alphapulse.html_escape(m.cls), alphapulse.html_escape(m.name), g.n, g.drawn)
			END, '' ORDER BY m.k DESC, m.i),
		   string_agg(format('<span class="key %s">%s</span>', alphapulse.html_escape(m.cls), alphapulse.html_escape(m.name)),
					  ' ' ORDER BY m.k DESC, m.i)
	INTO body, legend
	FROM alphapulse.report_series(series, markers) m
	JOIN (SELECT p.k, p.i, count(*) AS n,
				 string_agg(CASE p.k WHEN 'line' THEN
								round((l + (p.x - x0) / (x1 - x0) * (w - l - r))::numeric, 1) || ','
								|| round((h - b - (p.y - y0) / (y1 - y0) * (h - t - b))::numeric, 1)
							ELSE
								format('<circle cx="%s" cy="%s" r="3"/>',
									   round((l + (p.x - x0) / (x1 - x0) * (w - l - r))::numeric, 1),
									   round((h - b - (p.y - y0) / (y1 - y0) * (h - t - b))::numeric, 1))
							END, CASE p.k WHEN 'line' THEN ' ' ELSE '' END ORDER BY p.x) AS drawn
		  FROM alphapulse.report_points(series, markers) p GROUP BY p.k, p.i) g ON g.k = m.k AND g.i = m.i;
	RETURN format('<figure id="%s"><figcaption>%s</figcaption><div class="legend">%s</div>'
				  '<svg class="chart" data-chart="%s" data-points="%s" viewBox="0 0 %s %s" role="img">'
				  '<line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/><line class="axis" x1="%s" y1="%s" x2="%s" y2="%s"/>'
				  '<text class="tick" x="%s" y="%s" text-anchor="end">%s</text><text class="tick" x="%s" y="%s" text-anchor="end">%s</text>'
				  '<text class="tick" x="%s" y="%s">%s</text><text class="tick" x="%s" y="%s" text-anchor="end">%s</text>'
				  '<text class="tick" x="4" y="%s">%s</text>%s</svg></figure>',
				  alphapulse.html_escape(id), alphapulse.html_escape(title), coalesce(legend, ''),
				  alphapulse.html_escape(id), npoints, w, h,
				  l, h - b, w - r, h - b, l, t, l, h - b,
				  l - 4, t + 4, alphapulse.html_escape(to_char(y1, 'FM9999999990.0999')),
				  l - 4, h - b, alphapulse.html_escape(to_char(y0, 'FM9999999990.0999')),
				  l, h - b + 16, alphapulse.html_escape(CASE WHEN x_is_time THEN to_char(to_timestamp(x0) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') ELSE x0::text END),
				  w - r, h - b + 16, alphapulse.html_escape(CASE WHEN x_is_time THEN to_char(to_timestamp(x1) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' ELSE x1::text END),
				  t - 6, alphapulse.html_escape(y_label), body);
END
$fn$;
COMMENT ON FUNCTION alphapulse.report_line_chart(text, text, jsonb, jsonb, boolean, text) IS
'SVG line chart for ap_report: series and markers are [{"name", "class", "x": [numbers], "y": [numbers]}] (x in epoch seconds when x_is_time); a point with a null x or y is left out. One <polyline data-points="n"> per series and one <circle> per marker; the <svg class="chart"> carries data-points, the total';

-- A horizontal bar chart: one <rect class="bar"> per value, labels escaped.
CREATE FUNCTION alphapulse.report_bar_chart(id text, title text, labels text[], vals float8[],
	classes text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
	g CONSTANT jsonb := alphapulse.report_geometry();
	w CONSTANT float8 := (g ->> 'width')::float8;
	rh CONSTANT float8 := (g ->> 'bar_height')::float8;
	label_w CONSTANT float8 := 260;
	value_w CONSTANT float8 := 90;
	n integer := coalesce(cardinality(vals), 0);
	lo float8;
	hi float8;
	zero float8;
	span float8;
	body text;
	drawn bigint;
BEGIN
	IF n = 0 OR NOT EXISTS (SELECT FROM unnest(vals) v WHERE v IS NOT NULL AND v NOT IN ('NaN', 'Infinity', '-Infinity')) THEN
		RETURN format('<figure id="%s"><figcaption>%s</figcaption><p class="empty">No data.</p>'
					  '<svg class="chart" data-chart="%s" data-points="0" viewBox="0 0 %s 40"></svg></figure>',
					  alphapulse.html_escape(id), alphapulse.html_escape(title), alphapulse.html_escape(id), w);
	END IF;
	SELECT least(0, min(v)), greatest(0, max(v)) INTO lo, hi FROM unnest(vals) v WHERE v NOT IN ('NaN', 'Infinity', '-Infinity');
	span := CASE WHEN hi > lo THEN hi - lo ELSE 1 END;
	zero := label_w + (0 - lo) / span * (w - label_w - value_w);
	SELECT string_agg(format('<g class="row"><text class="label" x="%s" y="%s" text-anchor="end">%s</text>'
							 '<rect class="bar %s" x="%s" y="%s" width="%s" height="%s"/>'
							 '<text class="value" x="%s" y="%s">%s</text></g>',
							 label_w - 6, (i - 1) * rh + rh * 0.75, alphapulse.html_escape(coalesce(labels[i], '')),
							 alphapulse.html_escape(coalesce(classes[i], CASE WHEN coalesce(vals[i], 0) < 0 THEN 'neg' ELSE 'pos' END)),
							 round(least(zero, zero + coalesce(vals[i], 0) / span * (w - label_w - value_w))::numeric, 1),
							 (i - 1) * rh + 2,
							 round((abs(coalesce(vals[i], 0)) / span * (w - label_w - value_w))::numeric, 1), rh - 4,
							 w - value_w + 6, (i - 1) * rh + rh * 0.75,
							 alphapulse.html_escape(coalesce(to_char(vals[i], 'FM999999990.00009999'), 'NULL'))), '' ORDER BY i),
		count(*)
	INTO body, drawn FROM generate_series(1, n) i
	WHERE vals[i] IS NULL OR vals[i] NOT IN ('NaN', 'Infinity', '-Infinity');
	RETURN format('<figure id="%s"><figcaption>%s</figcaption>'
				  '<svg class="chart" data-chart="%s" data-points="%s" viewBox="0 0 %s %s" role="img">'
				  '<line class="axis" x1="%s" y1="0" x2="%s" y2="%s"/>%s</svg></figure>',
				  alphapulse.html_escape(id), alphapulse.html_escape(title), alphapulse.html_escape(id), drawn, w, n * rh + 4,
				  round(zero::numeric, 1), round(zero::numeric, 1), n * rh, body);
END
$fn$;
COMMENT ON FUNCTION alphapulse.report_bar_chart(text, text, text[], double precision[], text[]) IS
'SVG horizontal bar chart for ap_report: one <rect class="bar"> per value (labels and classes escaped; NaN and infinite values left out), bars from zero; data-points is the number of bars';

-- An HTML table: header cells and rows given as a JSON array of arrays, every cell escaped.
CREATE FUNCTION alphapulse.report_table(id text, header text[], rows jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN format('<table id="%s" data-rows="%s"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>',
	alphapulse.html_escape(id), coalesce(jsonb_array_length(rows), 0),
	(SELECT string_agg('<th>' || alphapulse.html_escape(hc) || '</th>', '' ORDER BY n) FROM unnest(header) WITH ORDINALITY AS hh(hc, n)),
	coalesce((SELECT string_agg('<tr>' || (SELECT string_agg('<td>' || coalesce(alphapulse.html_escape(c #>> '{}'), '') || '</td>', '' ORDER BY m)
										   FROM jsonb_array_elements(r) WITH ORDINALITY AS cc(c, m)) || '</tr>', '' ORDER BY k)
			  FROM jsonb_array_elements(coalesce(rows, '[]')) WITH ORDINALITY AS rr(r, k)), ''));
COMMENT ON FUNCTION alphapulse.report_table(text, text[], jsonb) IS 'HTML table for ap_report: header cells and rows ([[cell, ...], ...]), every cell escaped; data-rows is the number of rows';

CREATE FUNCTION alphapulse.report_style()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN $css$
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1000px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;margin-top:2em}
figure{margin:0.5em 0}figcaption{font-weight:600;margin-bottom:0.2em}
svg.chart{width:100%;height:auto;background:#fafafa}
.axis{stroke:#888;stroke-width:1}.tick{font-size:11px;fill:#555}
polyline{fill:none;stroke-width:1.3}
.close,.equity{stroke:#1f5fa8}.bh{stroke:#999;stroke-dasharray:4 3}
.train{stroke:#1f5fa8}.valid{stroke:#d2691e}
.buy{fill:#1a8f3a}.sell{fill:#c62828}
rect.pos{fill:#1f5fa8}rect.neg{fill:#c62828}rect.drifted{fill:#c62828}rect.stable{fill:#6a9f6a}
.label,.value{font-size:11px;fill:#333}
.legend .key{display:inline-block;margin-right:1em;font-size:0.85em}
.legend .key::before{content:"";display:inline-block;width:1.5em;height:0.3em;margin-right:0.3em;vertical-align:middle;background:#1f5fa8}
.legend .bh::before{background:#999}.legend .valid::before{background:#d2691e}.legend .sell::before{background:#c62828}.legend .buy::before{background:#1a8f3a}
table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
th{background:#f0f0f0}.note,.empty{color:#666;font-size:0.9em}
$css$;
COMMENT ON FUNCTION alphapulse.report_style() IS 'The report''s inline CSS';

-- Section: the last bars' close with the champion's BUY and SELL signals.
CREATE FUNCTION alphapulse.report_price(symbol text, bars integer, champion bigint)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
BEGIN ATOMIC
	WITH w AS (
		SELECT b.ts, b.close FROM alphapulse.bars b WHERE b.symbol = report_price.symbol ORDER BY b.ts DESC LIMIT bars
	), sig AS (
		-- a range of the signals' key and the bars' key: index scans whatever the statistics say
		SELECT s.ts, s.signal, b.close
		FROM alphapulse.signals s
		JOIN alphapulse.bars b ON b.symbol = s.symbol AND b.ts = s.ts
		WHERE s.symbol = report_price.symbol AND s.model_id = champion AND s.signal IN ('BUY', 'SELL')
		  AND s.ts >= (SELECT min(w.ts) FROM w)
	)
	SELECT alphapulse.report_line_chart('price', 'Price (close) of the last ' || (SELECT count(*) FROM w) || ' bars with the champion''s signals',
		jsonb_build_array(jsonb_build_object('name', 'close', 'class', 'close',
			'x', (SELECT coalesce(jsonb_agg(extract(epoch FROM w.ts) ORDER BY w.ts), '[]') FROM w),
			'y', (SELECT coalesce(jsonb_agg(w.close::float8 ORDER BY w.ts), '[]') FROM w))),
		jsonb_build_array(
			jsonb_build_object('name', 'BUY', 'class', 'buy',
				'x', (SELECT coalesce(jsonb_agg(extract(epoch FROM sig.ts) ORDER BY sig.ts), '[]') FROM sig WHERE sig.signal = 'BUY'),
				'y', (SELECT coalesce(jsonb_agg(sig.close::float8 ORDER BY sig.ts), '[]') FROM sig WHERE sig.signal = 'BUY')),
			jsonb_build_object('name', 'SELL', 'class', 'sell',
				'x', (SELECT coalesce(jsonb_agg(extract(epoch FROM sig.ts) ORDER BY sig.ts), '[]') FROM sig WHERE sig.signal = 'SELL'),
				'y', (SELECT coalesce(jsonb_agg(sig.close::float8 ORDER BY sig.ts), '[]') FROM sig WHERE sig.signal = 'SELL'))),
		true, 'close');
END;
COMMENT ON FUNCTION alphapulse.report_price(text, integer, bigint) IS 'ap_report section: close of the symbol''s last bars, with a marker at each BUY and SELL signal of the champion among them';

-- Section: the champion's learning curves (alphapulse.runs.learning_curves).
CREATE FUNCTION alphapulse.report_learning(champion bigint)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
BEGIN ATOMIC
	SELECT alphapulse.report_line_chart('learning', 'Learning curves of the champion (log loss per boosting round, each walk-forward fold)',
		coalesce((SELECT jsonb_agg(jsonb_build_object('name', 'fold ' || (c.v ->> 'fold') || ' ' || k.kind,
													  'class', k.kind,
													  'x', (SELECT coalesce(jsonb_agg(n ORDER BY n), '[]') FROM generate_series(1, jsonb_array_length(c.v -> k.kind)) n),
													  'y', c.v -> k.kind) ORDER BY c.i, k.kind DESC)
				  FROM alphapulse.models m JOIN alphapulse.runs r ON r.id = m.run_id
				  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(r.learning_curves) = 'array' THEN r.learning_curves ELSE '[]' END) WITH ORDINALITY AS c(v, i)
				  CROSS JOIN (VALUES ('train'), ('valid')) AS k(kind)
				  WHERE m.id = champion AND jsonb_typeof(c.v -> k.kind) = 'array'), '[]'),
		'[]', false, 'log loss');
END;
COMMENT ON FUNCTION alphapulse.report_learning(bigint) IS 'ap_report section: train and validation curves of each fold of the champion''s training run (XGBoost; linear models have none)';

-- Section: mean |SHAP| over the last rows, and one explanation.
CREATE FUNCTION alphapulse.report_explain(symbol text, champion bigint, rows integer)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
BEGIN ATOMIC
	WITH fs AS (
		SELECT m.feature_set FROM alphapulse.models m WHERE m.id = champion
	), c AS MATERIALIZED (
		SELECT f.ts, e.feature, e.contribution
		FROM (SELECT f.ts, f.x FROM alphapulse.features f
			  WHERE f.symbol = report_explain.symbol AND f.feature_set = (SELECT fs.feature_set FROM fs)
				AND array_position(f.x, NULL) IS NULL
			  ORDER BY f.ts DESC LIMIT rows) f
		CROSS JOIN LATERAL @extschema@.ap_explain(report_explain.symbol, f.x) e
	), last AS (
		SELECT max(c.ts) AS ts FROM c
	), imp AS (
		SELECT c.feature, avg(abs(c.contribution)) AS v FROM c WHERE c.feature <> '(bias)'
		GROUP BY c.feature ORDER BY v DESC, c.feature LIMIT 20
	)
	SELECT CASE WHEN NOT EXISTS (SELECT FROM fs) THEN '<p class="empty">No champion: no explanation.</p>' ELSE
		alphapulse.report_bar_chart('importance',
			format('Feature importance: mean |SHAP contribution| over the last %s complete feature rows (top 20)',
				   (SELECT count(DISTINCT c.ts) FROM c)),
			(SELECT array_agg(imp.feature ORDER BY imp.v DESC, imp.feature) FROM imp),
			(SELECT array_agg(imp.v ORDER BY imp.v DESC, imp.feature) FROM imp))
		|| alphapulse.report_bar_chart('shap',
			format('SHAP explanation of the latest prediction (bar of %s UTC), margin units: bias and every feature',
				   (SELECT to_char(last.ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM last)),
			(SELECT array_agg(c.feature ORDER BY abs(c.contribution) DESC, c.feature) FROM c, last WHERE c.ts = last.ts),
			(SELECT array_agg(c.contribution ORDER BY abs(c.contribution) DESC, c.feature) FROM c, last WHERE c.ts = last.ts)) END;
END;
COMMENT ON FUNCTION alphapulse.report_explain(text, bigint, integer) IS 'ap_report section: feature importance as the mean absolute ap_explain contribution over the symbol''s last complete feature rows (top 20), and the full explanation of the latest one';

-- Section: equity of the champion's strategy against buy-and-hold (ap_backtest_equity).
CREATE FUNCTION alphapulse.report_equity(symbol text, champion bigint)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
	curve jsonb;
	msg text;
BEGIN
	IF champion IS NULL THEN
		RETURN '<p class="empty">No champion: no backtest.</p>';
	END IF;
	IF to_regproc('@extschema@.ap_backtest_equity') IS NULL THEN
		RETURN '<p class="empty">ap_backtest_equity is not installed.</p>';
	END IF;
	BEGIN
		EXECUTE format('SELECT jsonb_build_object(''x'', coalesce(jsonb_agg(extract(epoch FROM e.ts) ORDER BY e.ts), ''[]''),
			''equity'', coalesce(jsonb_agg(e.equity ORDER BY e.ts), ''[]''), ''bh'', coalesce(jsonb_agg(e.bh_equity ORDER BY e.ts), ''[]''))
			FROM %I.ap_backtest_equity($1, $2) e', '@extschema@')
		INTO curve USING symbol, champion;
	EXCEPTION WHEN data_exception OR invalid_parameter_value OR object_not_in_prerequisite_state OR undefined_object THEN
		-- e.g. no bar after the champion's training window yet: say so, render the rest
		GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
		RETURN '<p class="empty">No backtest: ' || alphapulse.html_escape(msg) || '</p>';
	END;
	RETURN alphapulse.report_line_chart('equity',
		'Equity of the champion''s signals (ap_backtest_equity: out-of-sample bars, default fees) against buy-and-hold',
		jsonb_build_array(jsonb_build_object('name', 'strategy', 'class', 'equity', 'x', curve -> 'x', 'y', curve -> 'equity'),
						  jsonb_build_object('name', 'buy-and-hold', 'class', 'bh', 'x', curve -> 'x', 'y', curve -> 'bh')),
		'[]', true, 'equity');
END
$fn$;
COMMENT ON FUNCTION alphapulse.report_equity(text, bigint) IS 'ap_report section: the champion''s equity curve and buy-and-hold''s from ap_backtest_equity(symbol, champion) with its defaults';

-- Section: the symbol's latest drift report, per feature.
CREATE FUNCTION alphapulse.report_drift(symbol text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
	rep record;
	chart text;
BEGIN
	IF to_regclass('alphapulse.drift_reports') IS NULL OR to_regclass('alphapulse.drift_features') IS NULL THEN
		RETURN '<p class="empty">Drift reports are not installed.</p>';
	END IF;
	EXECUTE 'SELECT r.id, r.model_id, r.current_from, r.current_to, r.reference_rows, r.current_rows, r.share_drifted, r.drifted
			 FROM alphapulse.drift_reports r WHERE r.symbol = $1 ORDER BY r.id DESC LIMIT 1' INTO rep USING symbol;
	IF rep.id IS NULL THEN
		RETURN '<p class="empty">No drift report yet (ap_drift).</p>';
	END IF;
	EXECUTE 'SELECT alphapulse.report_bar_chart(''drift'', $2,
				array_agg(f.feature || '' ('' || f.method || '', threshold '' || f.threshold || '')'' ORDER BY f.drifted DESC, f.feature),
				array_agg(f.statistic ORDER BY f.drifted DESC, f.feature),
				array_agg(CASE WHEN f.drifted THEN ''drifted'' ELSE ''stable'' END ORDER BY f.drifted DESC, f.feature))
			 FROM alphapulse.drift_features f WHERE f.report_id = $1'
	INTO chart
	USING rep.id, format('Drift report %s (model %s): %s of the features drifted (%s); current window %s to %s UTC, %s rows, against %s reference rows; statistic per feature, drifted ones first and red',
						 rep.id, rep.model_id, round(rep.share_drifted::numeric * 100, 1) || '%',
						 CASE WHEN rep.drifted THEN 'the dataset drifted' ELSE 'no dataset drift' END,
						 to_char(rep.current_from AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
						 to_char(rep.current_to AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), rep.current_rows, rep.reference_rows);
	RETURN chart;
END
$fn$;
COMMENT ON FUNCTION alphapulse.report_drift(text) IS 'ap_report section: the statistic of each feature (and the prediction) in the symbol''s latest alphapulse.drift_reports row, drifted ones first';

-- Section: the models of the symbol, best first, and their stage changes.
CREATE FUNCTION alphapulse.report_models(symbol text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
	board jsonb;
	events jsonb;
BEGIN
	SELECT jsonb_agg(jsonb_build_array(m.id, m.version, m.algorithm, m.stage, m.feature_set,
			to_char(m.created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
			round((m.metrics ->> 'auc')::numeric, 4), round((m.metrics ->> 'logloss')::numeric, 4),
			round((m.metrics ->> 'accuracy')::numeric, 4), round((m.metrics ->> 'sharpe')::numeric, 3),
			round((m.metrics ->> 'strategy_return')::numeric, 4))
		ORDER BY (m.metrics ->> 'auc')::float8 DESC NULLS LAST, m.id DESC)
	INTO board FROM alphapulse.models m WHERE m.symbol = report_models.symbol;
	IF to_regclass('alphapulse.model_events') IS NOT NULL THEN
		EXECUTE 'SELECT jsonb_agg(jsonb_build_array(to_char(e.at AT TIME ZONE ''UTC'', ''YYYY-MM-DD HH24:MI:SS''), e.model_id, e.event, e.by_user, e.reason)
				 ORDER BY e.at DESC, e.id DESC) FROM (SELECT * FROM alphapulse.model_events e WHERE e.symbol = $1 ORDER BY e.at DESC, e.id DESC LIMIT 50) e'
		INTO events USING symbol;
	ELSE
		-- without the event log: what the registry itself records
		SELECT jsonb_agg(ev ORDER BY ev ->> 0 DESC) INTO events FROM (
			SELECT jsonb_build_array(to_char(m.created AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), m.id, 'registered', NULL, 'from alphapulse.models.created') AS ev
			FROM alphapulse.models m WHERE m.symbol = report_models.symbol
			UNION ALL
			SELECT jsonb_build_array(to_char(m.promoted AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), m.id, 'promoted', NULL, 'from alphapulse.models.promoted')
			FROM alphapulse.models m WHERE m.symbol = report_models.symbol AND m.promoted IS NOT NULL) q;
	END IF;
	RETURN '<p class="note">Each model''s metrics are on its own out-of-time holdout; ap_evaluate compares two models on one window (alphapulse.evaluations).</p>'
		|| alphapulse.report_table('leaderboard', ARRAY['model', 'version', 'algorithm', 'stage', 'feature set', 'created (UTC)',
			'holdout AUC', 'log loss', 'hit rate', 'Sharpe', 'strategy return'], coalesce(board, '[]'))
		|| '<h3>Model events</h3>'
		|| alphapulse.report_table('events', ARRAY['at (UTC)', 'model', 'event', 'by', 'reason'], coalesce(events, '[]'));
END
$fn$;
COMMENT ON FUNCTION alphapulse.report_models(text) IS 'ap_report section: the leaderboard (the symbol''s models by holdout AUC with their holdout metrics) and the latest 50 alphapulse.model_events';

-- Section: feeds of the symbol, their last runs, and the scheduled jobs.
CREATE FUNCTION alphapulse.report_feeds(symbol text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
BEGIN ATOMIC
	SELECT alphapulse.report_table('feeds', ARRAY['feed', 'format', 'cursor (UTC)', 'last success (UTC)', 'last error (UTC)', 'last error',
			'consecutive failures', 'rows landed', 'queued'],
		coalesce((SELECT jsonb_agg(jsonb_build_array(f.name, f.format, to_char(f.cursor_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
				to_char(f.last_success AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), to_char(f.last_error_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
				f.last_error, f.consecutive_failures, f.rows_landed, f.queued) ORDER BY f.name)
			FROM alphapulse.feed_status f WHERE f.symbol = report_feeds.symbol), '[]'))
	|| '<h3>Last feed runs</h3>'
	|| alphapulse.report_table('feed_runs', ARRAY['feed', 'finished (UTC)', 'HTTP', 'rows', 'via', 'message'],
		coalesce((SELECT jsonb_agg(jsonb_build_array(r.feed, to_char(r.finished AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), r.http_status,
				r.rows_landed, r.via, r.message) ORDER BY r.id DESC)
			FROM (SELECT r.* FROM alphapulse.feed_runs r JOIN alphapulse.feeds f ON f.name = r.feed
				  WHERE f.symbol = report_feeds.symbol ORDER BY r.id DESC LIMIT 20) r), '[]'))
	|| '<h3>Scheduled jobs</h3>'
	|| alphapulse.report_table('jobs', ARRAY['step', 'schedule', 'running', 'last status', 'last finished (UTC)', 'duration (ms)', 'message'],
		coalesce((SELECT jsonb_agg(jsonb_build_array(j.step, j.schedule, j.running, j.last_status,
				to_char(j.last_finished AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), round(j.last_duration_ms::numeric), j.last_message)
				ORDER BY array_position(alphapulse.schedule_steps(), j.step))
			FROM alphapulse.jobs j WHERE j.symbol = report_feeds.symbol), '[]'));
END;
COMMENT ON FUNCTION alphapulse.report_feeds(text) IS 'ap_report section: feed health (alphapulse.feed_status of the symbol''s feeds and their last 20 runs) and the symbol''s scheduled jobs';

CREATE FUNCTION ap_report(symbol text, bars integer DEFAULT 720, explain_rows integer DEFAULT 200)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $fn$
DECLARE
	max_rows CONSTANT integer := 100000;
	champ alphapulse.champions;
	head text;
BEGIN
	IF symbol IS NULL OR bars IS NULL OR explain_rows IS NULL THEN
		RAISE EXCEPTION 'symbol, bars and explain_rows must not be null' USING ERRCODE = '22004';
	END IF;
	IF NOT EXISTS (SELECT FROM alphapulse.assets a WHERE a.symbol = ap_report.symbol) THEN
		RAISE EXCEPTION 'symbol "%" does not exist', left(symbol, 64) USING ERRCODE = '42704';
	END IF;
	IF bars < 2 OR bars > max_rows OR explain_rows < 1 OR explain_rows > max_rows THEN
		RAISE EXCEPTION 'bars must be between 2 and % and explain_rows between 1 and %', max_rows, max_rows
			USING ERRCODE = '22023', DETAIL = format('They were %s and %s.', bars, explain_rows);
	END IF;
	SELECT * INTO champ FROM alphapulse.champions c WHERE c.symbol = ap_report.symbol;
	head := format('<p>Generated %s UTC by AlphaPulse %s. Champion: %s.</p>',
				   to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
				   alphapulse.html_escape((SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'alphapulse')),
				   CASE WHEN champ.model_id IS NULL THEN 'none yet'
						ELSE alphapulse.html_escape(format('model %s (version %s, %s, feature set %s), promoted %s, holdout %s to %s',
							champ.model_id, champ.version, champ.algorithm, champ.feature_set,
							to_char(champ.promoted AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
							to_char(champ.holdout_from AT TIME ZONE 'UTC', 'YYYY-MM-DD'), to_char(champ.holdout_to AT TIME ZONE 'UTC', 'YYYY-MM-DD'))) END);
	RETURN '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
		|| '<meta http-equiv="Content-Security-Policy" content="default-src ''none''; style-src ''unsafe-inline''">'
		|| '<title>AlphaPulse report: ' || alphapulse.html_escape(symbol) || '</title>'
		|| '<style>' || alphapulse.report_style() || '</style></head><body>'
		|| '<h1>AlphaPulse report: ' || alphapulse.html_escape(symbol) || '</h1>' || head
		|| '<h2>Price and signals</h2>' || alphapulse.report_price(symbol, bars, champ.model_id)
		|| '<h2>Backtest</h2>' || alphapulse.report_equity(symbol, champ.model_id)
		|| '<h2>Learning curves</h2>' || CASE WHEN champ.model_id IS NULL THEN '<p class="empty">No champion.</p>' ELSE alphapulse.report_learning(champ.model_id) END
		|| '<h2>Explanations</h2>' || alphapulse.report_explain(symbol, champ.model_id, explain_rows)
		|| '<h2>Drift</h2>' || alphapulse.report_drift(symbol)
		|| '<h2>Leaderboard</h2>' || alphapulse.report_models(symbol)
		|| '<h2>Feed health</h2>' || alphapulse.report_feeds(symbol)
		|| '</body></html>';
END
$fn$;
COMMENT ON FUNCTION ap_report(text, integer, integer) IS
'One self-contained HTML document on a symbol (inline CSS and SVG, no script, a Content-Security-Policy that forbids loading anything): price of the last bars with the champion''s signals, its equity against buy-and-hold (ap_backtest_equity), its learning curves, feature importance (mean |SHAP| over the last explain_rows complete feature rows) and the explanation of the latest, the latest drift report per feature, the leaderboard with model events, feed health and scheduled jobs. Every text from data is HTML-escaped. Write it to a file with psql: \pset format unaligned \pset tuples_only on \o report.html';

GRANT EXECUTE ON FUNCTION ap_report(text, integer, integer) TO alphapulse_reader;
REVOKE ALL ON FUNCTION ap_report(text, integer, integer), alphapulse.report_price(text, integer, bigint),
	alphapulse.report_learning(bigint), alphapulse.report_explain(text, bigint, integer),
	alphapulse.report_equity(text, bigint), alphapulse.report_drift(text), alphapulse.report_models(text),
	alphapulse.report_feeds(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ap_report(text, integer, integer), alphapulse.report_price(text, integer, bigint),
	alphapulse.report_learning(bigint), alphapulse.report_explain(text, bigint, integer),
	alphapulse.report_equity(text, bigint), alphapulse.report_drift(text), alphapulse.report_models(text),
	alphapulse.report_feeds(text) TO alphapulse_reader;
-- END report
