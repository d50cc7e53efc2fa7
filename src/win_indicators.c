/*
 * win_indicators.c - the SQL-callable indicator window functions: each one
 * names its series, validates its parameters and calls its kernel (and, for
 * NUMERIC input, its exact path where it is a finite sum or ratio).
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"

#include "win_glue.h"

#define AP_WINDOW_FUNCTION(sqlname, def) \
	PG_FUNCTION_INFO_V1(sqlname); \
	Datum \
	sqlname(PG_FUNCTION_ARGS) \
	{ \
		return WinServe(fcinfo, &(def)); \
	}

#define X	(c->in[0])
#define H	(c->in[0])
#define L	(c->in[1])
#define C3	(c->in[2])
#define V4	(c->in[3])

/* ---- moving averages ---- */

static void
CalcSma(WinCalc *c)
{
	ComputeSma(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}

static void
ExactSma(WinCalc *c)
{
	ExactSmaInto(c, ParamPeriod(c, 1, "n", 1), 0);
}

static const IndicatorDef sma_def = {"ap_sma", 1, 1, true, false, CalcSma, ExactSma, "p", 0x0};
AP_WINDOW_FUNCTION(ap_sma, sma_def)

static void
CalcEma(WinCalc *c)
{
	ComputeEma(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef ema_def = {"ap_ema", 1, 1, false, false, CalcEma, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_ema, ema_def)

static void
CalcWma(WinCalc *c)
{
	ComputeWma(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef wma_def = {"ap_wma", 1, 1, true, false, CalcWma, ExactWma, "p", 0x0};
AP_WINDOW_FUNCTION(ap_wma, wma_def)

static void
CalcDema(WinCalc *c)
{
	ComputeDema(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef dema_def = {"ap_dema", 1, 1, false, false, CalcDema, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_dema, dema_def)

static void
CalcTema(WinCalc *c)
{
	ComputeTema(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef tema_def = {"ap_tema", 1, 1, false, false, CalcTema, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_tema, tema_def)

static void
CalcTrima(WinCalc *c)
{
	ComputeTrima(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef trima_def = {"ap_trima", 1, 1, false, false, CalcTrima, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_trima, trima_def)

static void
CalcKama(WinCalc *c)
{
	int			p = ParamPeriod(c, 1, "n", 1);
	int			fast = ParamPeriod(c, 2, "fast", 1);
	int			slow = ParamPeriod(c, 3, "slow", 1);

	CheckFastSlow(c, fast, slow, "fast", "slow");
	ComputeKama(X, c->n, p, fast, slow, c->out[0]);
}
static const IndicatorDef kama_def = {"ap_kama", 1, 1, false, false, CalcKama, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_kama, kama_def)

static void
CalcHma(WinCalc *c)
{
	ComputeHma(X, c->n, ParamPeriod(c, 1, "n", 2), c->out[0]);
}
static const IndicatorDef hma_def = {"ap_hma", 1, 1, false, false, CalcHma, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_hma, hma_def)

static void
CalcVwma(WinCalc *c)
{
	ComputeVwma(c->in[0], c->in[1], c->n, ParamPeriod(c, 2, "n", 1), c->out[0]);
}
static const IndicatorDef vwma_def = {"ap_vwma", 2, 1, true, false, CalcVwma, ExactVwma, "p", 0x2};
AP_WINDOW_FUNCTION(ap_vwma, vwma_def)

static void
CalcVwap(WinCalc *c)
{
	ComputeVwap(H, L, C3, V4, c->n, c->out[0]);
}
static const IndicatorDef vwap_def = {"ap_vwap", 4, 1, true, false, CalcVwap, ExactVwap, "p", 0x8};
AP_WINDOW_FUNCTION(ap_vwap, vwap_def)

/* ---- momentum ---- */

static void
CalcRsi(WinCalc *c)
{
	ComputeRsi(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef rsi_def = {"ap_rsi", 1, 1, false, false, CalcRsi, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_rsi, rsi_def)

static void
CalcMacd(WinCalc *c)
{
	int			fast = ParamPeriod(c, 1, "fast", 1);
	int			slow = ParamPeriod(c, 2, "slow", 1);
	int			sig = ParamPeriod(c, 3, "signal", 1);

	CheckFastSlow(c, fast, slow, "fast", "slow");
	ComputeMacd(X, c->n, fast, slow, sig, c->out[0], c->out[1], c->out[2]);
}
static const IndicatorDef macd_def = {"ap_macd", 1, 3, false, false, CalcMacd, NULL, "ppp", 0x0};
AP_WINDOW_FUNCTION(ap_macd, macd_def)

static void
CalcBbands(WinCalc *c)
{
	int			p = ParamPeriod(c, 1, "n", 1);
	double		k = ParamFloat(c, 2, "k", 0, 1e6);

	ComputeBbands(X, c->n, p, k, c->out[0], c->out[1], c->out[2], c->out[3], c->out[4]);
}

static void
ExactBbandsMiddle(WinCalc *c)
{
	ExactSmaInto(c, ParamPeriod(c, 1, "n", 1), 1);
}
static const IndicatorDef bbands_def = {"ap_bbands", 1, 5, true, false, CalcBbands, ExactBbandsMiddle, "ppp00", 0x0};
AP_WINDOW_FUNCTION(ap_bbands, bbands_def)

static void
CalcStoch(WinCalc *c)
{
	ComputeStoch(H, L, C3, c->n, ParamPeriod(c, 3, "fastk", 1),
				 ParamPeriod(c, 4, "slowk", 1), ParamPeriod(c, 5, "slowd", 1),
				 c->out[0], c->out[1]);
}
static const IndicatorDef stoch_def = {"ap_stoch", 3, 2, false, false, CalcStoch, NULL, "00", 0x0};
AP_WINDOW_FUNCTION(ap_stoch, stoch_def)

static void
CalcStochRsi(WinCalc *c)
{
	ComputeStochRsi(X, c->n, ParamPeriod(c, 1, "n", 1), ParamPeriod(c, 2, "k", 1),
					ParamPeriod(c, 3, "smooth", 1), c->out[0]);
}
static const IndicatorDef stochrsi_def = {"ap_stochrsi", 1, 1, false, false, CalcStochRsi, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_stochrsi, stochrsi_def)

static void
CalcWillr(WinCalc *c)
{
	ComputeWillr(H, L, C3, c->n, ParamPeriod(c, 3, "n", 1), c->out[0]);
}
static const IndicatorDef willr_def = {"ap_willr", 3, 1, false, false, CalcWillr, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_willr, willr_def)

static void
CalcCci(WinCalc *c)
{
	ComputeCci(H, L, C3, c->n, ParamPeriod(c, 3, "n", 1), c->out[0]);
}
static const IndicatorDef cci_def = {"ap_cci", 3, 1, false, false, CalcCci, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_cci, cci_def)

static void
CalcMfi(WinCalc *c)
{
	ComputeMfi(H, L, C3, V4, c->n, ParamPeriod(c, 4, "n", 1), c->out[0]);
}
static const IndicatorDef mfi_def = {"ap_mfi", 4, 1, false, false, CalcMfi, NULL, "0", 0x8};
AP_WINDOW_FUNCTION(ap_mfi, mfi_def)

static void
CalcRoc(WinCalc *c)
{
	ComputeRoc(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef roc_def = {"ap_roc", 1, 1, true, false, CalcRoc, ExactRoc, "0", 0x0};
AP_WINDOW_FUNCTION(ap_roc, roc_def)

static void
CalcMom(WinCalc *c)
{
	ComputeMom(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef mom_def = {"ap_mom", 1, 1, true, false, CalcMom, ExactMom, "p", 0x0};
AP_WINDOW_FUNCTION(ap_mom, mom_def)

static void
CalcCmo(WinCalc *c)
{
	ComputeCmo(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef cmo_def = {"ap_cmo", 1, 1, false, false, CalcCmo, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_cmo, cmo_def)

static void
CalcTrix(WinCalc *c)
{
	ComputeTrix(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef trix_def = {"ap_trix", 1, 1, false, false, CalcTrix, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_trix, trix_def)

static void
CalcUltosc(WinCalc *c)
{
	ComputeUltosc(H, L, C3, c->n, ParamPeriod(c, 3, "p1", 1), ParamPeriod(c, 4, "p2", 1),
				  ParamPeriod(c, 5, "p3", 1), c->out[0]);
}
static const IndicatorDef ultosc_def = {"ap_ultosc", 3, 1, false, false, CalcUltosc, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_ultosc, ultosc_def)

/* APO and PPO: the "ma" parameter names the kind of both legs. */
static void
CalcPriceOsc(WinCalc *c, bool percent)
{
	int			fast = ParamPeriod(c, 1, "fast", 1);
	int			slow = ParamPeriod(c, 2, "slow", 1);
	char	   *ma = ParamText(c, 3, "ma");

	CheckFastSlow(c, fast, slow, "fast", "slow");
	if (strcmp(ma, "ema") != 0 && strcmp(ma, "sma") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s parameter \"ma\" must be 'ema' or 'sma'", c->fname),
				 errdetail("ma was '%s'.", ma)));
	ComputePriceOsc(X, c->n, fast, slow, strcmp(ma, "ema") == 0, percent, c->out[0]);
}

static void
CalcApo(WinCalc *c)
{
	CalcPriceOsc(c, false);
}
static const IndicatorDef apo_def = {"ap_apo", 1, 1, false, false, CalcApo, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_apo, apo_def)

static void
CalcPpo(WinCalc *c)
{
	CalcPriceOsc(c, true);
}
static const IndicatorDef ppo_def = {"ap_ppo", 1, 1, false, false, CalcPpo, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_ppo, ppo_def)

static void
CalcAroon(WinCalc *c)
{
	ComputeAroon(H, L, c->n, ParamPeriod(c, 2, "n", 1), c->out[0], c->out[1], c->out[2]);
}
static const IndicatorDef aroon_def = {"ap_aroon", 2, 3, false, false, CalcAroon, NULL, "000", 0x0};
AP_WINDOW_FUNCTION(ap_aroon, aroon_def)

static void
CalcLogret(WinCalc *c)
{
	ComputeLogret(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef logret_def = {"ap_logret", 1, 1, false, true, CalcLogret, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_logret, logret_def)

static void
CalcLinregSlope(WinCalc *c)
{
	ComputeLinregSlope(X, c->n, ParamPeriod(c, 1, "n", 2), c->out[0]);
}
static const IndicatorDef linreg_slope_def = {"ap_linreg_slope", 1, 1, false, false, CalcLinregSlope, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_linreg_slope, linreg_slope_def)

/* ---- trend and volatility ---- */

static void
CalcTrange(WinCalc *c)
{
	ComputeTrange(H, L, C3, c->n, c->out[0]);
}
static const IndicatorDef trange_def = {"ap_trange", 3, 1, true, false, CalcTrange, ExactTrange, "p", 0x0};
AP_WINDOW_FUNCTION(ap_trange, trange_def)

static void
CalcAtr(WinCalc *c)
{
	ComputeAtr(H, L, C3, c->n, ParamPeriod(c, 3, "n", 1), c->out[0]);
}
static const IndicatorDef atr_def = {"ap_atr", 3, 1, false, false, CalcAtr, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_atr, atr_def)

static void
CalcNatr(WinCalc *c)
{
	ComputeNatr(H, L, C3, c->n, ParamPeriod(c, 3, "n", 1), c->out[0]);
}
static const IndicatorDef natr_def = {"ap_natr", 3, 1, false, false, CalcNatr, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_natr, natr_def)

/* ADX, +DI and -DI share one pass; each keeps the output it names. */
static void
CalcDmi(WinCalc *c, int which)
{
	int			p = ParamPeriod(c, 3, "n", 1);
	ta_real    *a = TaAlloc(sizeof(ta_real) * (c->n + 1));
	ta_real    *b = TaAlloc(sizeof(ta_real) * (c->n + 1));

	if (which == 0)
		ComputeDmi(H, L, C3, c->n, p, a, b, c->out[0]);
	else if (which == 1)
		ComputeDmi(H, L, C3, c->n, p, c->out[0], a, NULL);
	else
		ComputeDmi(H, L, C3, c->n, p, a, c->out[0], NULL);
	TaFree(a);
	TaFree(b);
}

static void
CalcAdx(WinCalc *c)
{
	CalcDmi(c, 0);
}
static const IndicatorDef adx_def = {"ap_adx", 3, 1, false, false, CalcAdx, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_adx, adx_def)

static void
CalcPlusDi(WinCalc *c)
{
	CalcDmi(c, 1);
}
static const IndicatorDef plus_di_def = {"ap_plus_di", 3, 1, false, false, CalcPlusDi, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_plus_di, plus_di_def)

static void
CalcMinusDi(WinCalc *c)
{
	CalcDmi(c, 2);
}
static const IndicatorDef minus_di_def = {"ap_minus_di", 3, 1, false, false, CalcMinusDi, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_minus_di, minus_di_def)

static void
CalcKeltner(WinCalc *c)
{
	ComputeKeltner(H, L, C3, c->n, ParamPeriod(c, 3, "n", 1),
				   ParamFloat(c, 4, "mult", 0, 1e6), ParamPeriod(c, 5, "atr_n", 1),
				   c->out[0], c->out[1], c->out[2]);
}
static const IndicatorDef keltner_def = {"ap_keltner", 3, 3, false, false, CalcKeltner, NULL, "ppp", 0x0};
AP_WINDOW_FUNCTION(ap_keltner, keltner_def)

static void
CalcDonchian(WinCalc *c)
{
	ComputeDonchian(H, L, c->n, ParamPeriod(c, 2, "n", 1), c->out[0], c->out[1], c->out[2]);
}
static const IndicatorDef donchian_def = {"ap_donchian", 2, 3, true, false, CalcDonchian, ExactDonchian, "ppp", 0x0};
AP_WINDOW_FUNCTION(ap_donchian, donchian_def)

/* Variance or its square root; a sample statistic needs two values. */
static void
CalcDispersion(WinCalc *c, bool root)
{
	bool		sample = ParamBool(c, 2, "sample");
	int			p = ParamPeriod(c, 1, "n", sample ? 2 : 1);
	ta_real    *mean = TaAlloc(sizeof(ta_real) * (c->n + 1));

	ComputeVariance(X, c->n, p, sample, mean, c->out[0]);
	if (root)
		for (int i = 0; i < c->n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			c->out[0][i] = sqrtl(c->out[0][i]);
		}
	TaFree(mean);
}

static void
CalcStddev(WinCalc *c)
{
	CalcDispersion(c, true);
}
static const IndicatorDef stddev_def = {"ap_stddev", 1, 1, false, false, CalcStddev, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_stddev, stddev_def)

static void
CalcVar(WinCalc *c)
{
	CalcDispersion(c, false);
}
static const IndicatorDef var_def = {"ap_var", 1, 1, false, false, CalcVar, NULL, "q", 0x0};
AP_WINDOW_FUNCTION(ap_var, var_def)

static void
CalcZscore(WinCalc *c)
{
	ComputeZscore(X, c->n, ParamPeriod(c, 1, "n", 1), c->out[0]);
}
static const IndicatorDef zscore_def = {"ap_zscore", 1, 1, false, false, CalcZscore, NULL, "0", 0x0};
AP_WINDOW_FUNCTION(ap_zscore, zscore_def)

static void
CalcPsar(WinCalc *c)
{
	double		accel = ParamFloat(c, 2, "accel", 1e-9, 1);
	double		max_accel = ParamFloat(c, 3, "max_accel", accel, 1);

	ComputePsar(H, L, c->n, accel, max_accel, c->out[0]);
}
static const IndicatorDef psar_def = {"ap_psar", 2, 1, false, false, CalcPsar, NULL, "p", 0x0};
AP_WINDOW_FUNCTION(ap_psar, psar_def)

/* ---- volume ---- */

static void
CalcObv(WinCalc *c)
{
	ComputeObv(c->in[0], c->in[1], c->n, c->out[0]);
}
static const IndicatorDef obv_def = {"ap_obv", 2, 1, true, false, CalcObv, ExactObv, "v", 0x2};
AP_WINDOW_FUNCTION(ap_obv, obv_def)

static void
CalcAd(WinCalc *c)
{
	ComputeAd(H, L, C3, V4, c->n, c->out[0]);
}
static const IndicatorDef ad_def = {"ap_ad", 4, 1, true, false, CalcAd, ExactAd, "v", 0x8};
AP_WINDOW_FUNCTION(ap_ad, ad_def)

static void
CalcAdosc(WinCalc *c)
{
	int			fast = ParamPeriod(c, 4, "fast", 1);
	int			slow = ParamPeriod(c, 5, "slow", 1);

	CheckFastSlow(c, fast, slow, "fast", "slow");
	ComputeAdosc(H, L, C3, V4, c->n, fast, slow, c->out[0]);
}
static const IndicatorDef adosc_def = {"ap_adosc", 4, 1, false, false, CalcAdosc, NULL, "v", 0x8};
AP_WINDOW_FUNCTION(ap_adosc, adosc_def)

static void
CalcCmf(WinCalc *c)
{
	ComputeCmf(H, L, C3, V4, c->n, ParamPeriod(c, 4, "n", 1), c->out[0]);
}
static const IndicatorDef cmf_def = {"ap_cmf", 4, 1, false, false, CalcCmf, NULL, "0", 0x8};
AP_WINDOW_FUNCTION(ap_cmf, cmf_def)
