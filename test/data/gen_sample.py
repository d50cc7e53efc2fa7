#!/usr/bin/python3
"""SYNTHETIC sample data for AlphaPulse -- NOT real market data.

Writes test/data/sample_bars.csv and test/data/sample_assets.csv: three years
(2021-01-01 .. 2023-12-31 UTC) of hourly OHLCV bars for two made-up series:

  btc  BTC-like: starts near 29000; Student-t shocks with GARCH(1,1) volatility
       clustering; three regimes: bull drift (to 2021-11-10), bear drift (to
       2022-11-21), then a mean-reverting range.
  eth  ETH-like: starts near 730; returns = 1.1 x btc's + a small drift of its
       own + its own GARCH noise (return correlation with btc about 0.8).

and, in a separate file for the MLOps demo (make demo), test/data/regime_bars.csv
and test/data/regime_assets.csv with one more made-up series:

  syn  a regime change with a known date, REGIME_CHANGE = 2022-06-01 00:00 UTC.
       Hourly bars from 2022-01-01 to 2023-06-01 (12,384 bars: 3,624 before the
       change, 8,760 after), starting at 100.
       Before the change ("calm"): annualised volatility 0.45 and a modest
       predictable component -- each bar's log return is -0.12 x the previous
       bar's (mean reversion: AR(1) coefficient PHI_CALM = -0.12) plus noise, so
       the sign of the next bar is right about 54% of the time for a model
       that learns it.  From the change on ("storm"): volatility 0.90 (twice
       as large: every volatility feature drifts) and the AR(1) coefficient
       flips to PHI_STORM = +0.12 (momentum), so a model trained on the calm
       part predicts the wrong way until it is retrained.  Noise: Student-t
       (5 df) shocks with GARCH(1,1) clustering as above; no other drift.
  It has its own random stream (seed REGIME_SEED), so sample_bars.csv and
  sample_assets.csv stay byte-identical whatever this series does.

Bars are internally consistent: open = previous close, low <= min(open, close)
<= max(open, close) <= high, volume > 0 and larger on bigger moves.  Prices are
written with 2 decimals and volumes with 4, via Decimal (exact NUMERIC text).

Standard library only and seeded, so it is deterministic:
    /usr/bin/python3 test/data/gen_sample.py   # regenerates byte-identical files
"""
import csv
import datetime as dt
import math
import os
import random
from decimal import Decimal, ROUND_HALF_EVEN

SEED = 20210101
START = dt.datetime(2021, 1, 1, tzinfo=dt.timezone.utc)
END = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
HOURS_PER_YEAR = 24 * 365
# (regime end, hourly log drift, annualised target volatility, mean-revert level)
REGIMES = [
    (dt.datetime(2021, 11, 10, tzinfo=dt.timezone.utc), 1.0e-4, 0.75, None),  # bull
    (dt.datetime(2022, 11, 21, tzinfo=dt.timezone.utc), -1.2e-4, 0.65, None),  # bear
    (END, 0.0, 0.40, 26000.0),  # range around 26000
]
GARCH_ALPHA, GARCH_BETA = 0.08, 0.90
T_DF = 5  # Student-t degrees of freedom for fat-tailed shocks
HERE = os.path.dirname(os.path.abspath(__file__))

# The regime-change series "syn" (regime_bars.csv): see the docstring.
REGIME_SEED = 20220901
REGIME_START = dt.datetime(2022, 1, 1, tzinfo=dt.timezone.utc)
REGIME_CHANGE = dt.datetime(2022, 6, 1, tzinfo=dt.timezone.utc)
REGIME_END = dt.datetime(2023, 6, 1, tzinfo=dt.timezone.utc)
VOL_CALM, VOL_STORM = 0.45, 0.90
PHI_CALM, PHI_STORM = -0.12, 0.12

CENT = Decimal("0.01")
BASIS = Decimal("0.0001")


def fmt(x, q):
    """Round a float to q decimals as exact decimal text (no float repr)."""
    return str(Decimal(x).quantize(q, rounding=ROUND_HALF_EVEN))


def student_t(rng):
    """Unit-variance Student-t draw."""
    chi2 = rng.gammavariate(T_DF / 2.0, 2.0)
    return rng.gauss(0.0, 1.0) / math.sqrt(chi2 / T_DF) * math.sqrt((T_DF - 2) / T_DF)


class Garch:
    """GARCH(1,1) variance, unconditional level set by the current regime."""

    def __init__(self, annual_vol):
        self.var = annual_vol ** 2 / HOURS_PER_YEAR
        self.eps = 0.0

    def step(self, annual_vol, z):
        target = annual_vol ** 2 / HOURS_PER_YEAR
        omega = target * (1.0 - GARCH_ALPHA - GARCH_BETA)
        self.var = omega + GARCH_ALPHA * self.eps ** 2 + GARCH_BETA * self.var
        self.eps = math.sqrt(self.var) * z
        return self.eps, math.sqrt(self.var)


def bar(rng, open_, ret, sigma, base_volume):
    """One OHLCV bar from an open price and a log return; wicks scale with sigma."""
    close = open_ * math.exp(ret)
    high = max(open_, close) * math.exp(abs(rng.gauss(0.0, 0.6)) * sigma)
    low = min(open_, close) * math.exp(-abs(rng.gauss(0.0, 0.6)) * sigma)
    surprise = abs(ret) / sigma  # volume rises with the size of the move
    volume = base_volume * (0.4 + 0.6 * surprise) * math.exp(rng.gauss(0.0, 0.35))
    return close, (fmt(open_, CENT), fmt(high, CENT), fmt(low, CENT),
                   fmt(close, CENT), fmt(volume, BASIS))


def main():
    rng = random.Random(SEED)
    btc_vol = Garch(REGIMES[0][2])
    eth_vol = Garch(0.8 * REGIMES[0][2])
    btc, eth = 29000.0, 730.0
    rows = []
    ts = START
    regime = 0
    while ts < END:
        while ts >= REGIMES[regime][0]:
            regime += 1
        _, drift, annual_vol, level = REGIMES[regime]
        if level is not None:  # range: pull the log price back toward level
            drift = 0.002 * math.log(level / btc)
        eps_b, sig_b = btc_vol.step(annual_vol, student_t(rng))
        eps_e, sig_e = eth_vol.step(0.8 * annual_vol, student_t(rng))
        ret_b = drift + eps_b
        ret_e = 1.1 * ret_b + 2.0e-5 + eps_e
        stamp = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        btc, b = bar(rng, btc, ret_b, sig_b, 1200.0)
        eth, e = bar(rng, eth, ret_e, math.hypot(1.1 * sig_b, sig_e), 15000.0)
        rows.append(("btc", stamp) + b)
        rows.append(("eth", stamp) + e)
        ts += dt.timedelta(hours=1)
    rows.sort(key=lambda r: (r[0], r[1]))

    with open(os.path.join(HERE, "sample_bars.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("symbol", "ts", "open", "high", "low", "close", "volume"))
        w.writerows(rows)
    with open(os.path.join(HERE, "sample_assets.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("symbol", "description", "bar_interval"))
        w.writerow(("btc", "SYNTHETIC BTC-like hourly bars (test/data/gen_sample.py), not market data", "1 hour"))
        w.writerow(("eth", "SYNTHETIC ETH-like hourly bars (test/data/gen_sample.py), not market data", "1 hour"))
    regime_series()


def regime_series():
    """The "syn" series: AR(1) returns whose sign and volatility change at REGIME_CHANGE."""
    rng = random.Random(REGIME_SEED)
    vol = Garch(VOL_CALM)
    price, prev_ret = 100.0, 0.0
    rows = []
    ts = REGIME_START
    while ts < REGIME_END:
        calm = ts < REGIME_CHANGE
        annual_vol, phi = (VOL_CALM, PHI_CALM) if calm else (VOL_STORM, PHI_STORM)
        eps, sigma = vol.step(annual_vol, student_t(rng))
        ret = phi * prev_ret + eps
        price, b = bar(rng, price, ret, sigma, 5000.0)
        rows.append(("syn", ts.strftime("%Y-%m-%dT%H:%M:%SZ")) + b)
        prev_ret = ret
        ts += dt.timedelta(hours=1)
    with open(os.path.join(HERE, "regime_bars.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("symbol", "ts", "open", "high", "low", "close", "volume"))
        w.writerows(rows)
    with open(os.path.join(HERE, "regime_assets.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("symbol", "description", "bar_interval"))
        w.writerow(("syn", "SYNTHETIC hourly bars with a regime change on " + REGIME_CHANGE.strftime("%Y-%m-%d")
                    + " (test/data/gen_sample.py), not market data", "1 hour"))


if __name__ == "__main__":
    main()
