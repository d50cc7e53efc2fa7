-- The PL/pgSQL a user would write without AlphaPulse: one symbol at a time, a
-- FOR loop over its bars in time order, RETURN NEXT per bar.  Same conventions
-- as ap_ema / ap_rsi (SMA seed, Wilder smoothing, n-1 / n warm-up NULLs).
-- The numeric EMA is deliberately naive: alpha = 2.0/(n+1) is a 20-digit
-- numeric and every step multiplies by it, so the scale of the running EMA grows
-- by ~20 digits per bar until numeric's 16383-digit cap.
\set ON_ERROR_STOP 1

CREATE OR REPLACE FUNCTION bench_ema_numeric(p_symbol text, n int)
RETURNS SETOF numeric LANGUAGE plpgsql STABLE AS $$
DECLARE
	rec   record;
	alpha numeric := 2.0 / (n + 1);
	ema   numeric;
	total numeric := 0;
	i     int := 0;
BEGIN
	FOR rec IN SELECT close FROM bench_bars WHERE symbol = p_symbol ORDER BY ts LOOP
		i := i + 1;
		IF i < n THEN
			total := total + rec.close;
			RETURN NEXT NULL;
		ELSIF i = n THEN
			ema := (total + rec.close) / n;
			RETURN NEXT ema;
		ELSE
			ema := alpha * rec.close + (1 - alpha) * ema;
			RETURN NEXT ema;
		END IF;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION bench_ema_float8(p_symbol text, n int)
RETURNS SETOF float8 LANGUAGE plpgsql STABLE AS $$
DECLARE
	rec   record;
	alpha float8 := 2.0 / (n + 1);
	ema   float8;
	total float8 := 0;
	i     int := 0;
BEGIN
	FOR rec IN SELECT close_f FROM bench_bars WHERE symbol = p_symbol ORDER BY ts LOOP
		i := i + 1;
		IF i < n THEN
			total := total + rec.close_f;
			RETURN NEXT NULL;
		ELSIF i = n THEN
			ema := (total + rec.close_f) / n;
			RETURN NEXT ema;
		ELSE
			ema := alpha * rec.close_f + (1 - alpha) * ema;
			RETURN NEXT ema;
		END IF;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION bench_rsi_numeric(p_symbol text, n int)
RETURNS SETOF numeric LANGUAGE plpgsql STABLE AS $$
DECLARE
	rec      record;
	prev     numeric;
	d        numeric;
	avg_gain numeric := 0;
	avg_loss numeric := 0;
	i        int := 0;
BEGIN
	FOR rec IN SELECT close FROM bench_bars WHERE symbol = p_symbol ORDER BY ts LOOP
		IF prev IS NULL THEN
			prev := rec.close;
			RETURN NEXT NULL;
			CONTINUE;
		END IF;
		i := i + 1;
		d := rec.close - prev;
		prev := rec.close;
		IF i < n THEN
			avg_gain := avg_gain + greatest(d, 0);
			avg_loss := avg_loss + greatest(-d, 0);
			RETURN NEXT NULL;
			CONTINUE;
		ELSIF i = n THEN
			avg_gain := (avg_gain + greatest(d, 0)) / n;
			avg_loss := (avg_loss + greatest(-d, 0)) / n;
		ELSE
			avg_gain := (avg_gain * (n - 1) + greatest(d, 0)) / n;
			avg_loss := (avg_loss * (n - 1) + greatest(-d, 0)) / n;
		END IF;
		IF avg_gain + avg_loss = 0 THEN
			RETURN NEXT 50;
		ELSE
			RETURN NEXT 100 * avg_gain / (avg_gain + avg_loss);
		END IF;
	END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION bench_rsi_float8(p_symbol text, n int)
RETURNS SETOF float8 LANGUAGE plpgsql STABLE AS $$
DECLARE
	rec      record;
	prev     float8;
	d        float8;
	avg_gain float8 := 0;
	avg_loss float8 := 0;
	i        int := 0;
BEGIN
	FOR rec IN SELECT close_f FROM bench_bars WHERE symbol = p_symbol ORDER BY ts LOOP
		IF prev IS NULL THEN
			prev := rec.close_f;
			RETURN NEXT NULL;
			CONTINUE;
		END IF;
		i := i + 1;
		d := rec.close_f - prev;
		prev := rec.close_f;
		IF i < n THEN
			avg_gain := avg_gain + greatest(d, 0);
			avg_loss := avg_loss + greatest(-d, 0);
			RETURN NEXT NULL;
			CONTINUE;
		ELSIF i = n THEN
			avg_gain := (avg_gain + greatest(d, 0)) / n;
			avg_loss := (avg_loss + greatest(-d, 0)) / n;
		ELSE
			avg_gain := (avg_gain * (n - 1) + greatest(d, 0)) / n;
			avg_loss := (avg_loss * (n - 1) + greatest(-d, 0)) / n;
		END IF;
		IF avg_gain + avg_loss = 0 THEN
			RETURN NEXT 50;
		ELSE
			RETURN NEXT 100 * avg_gain / (avg_gain + avg_loss);
		END IF;
	END LOOP;
END
$$;
