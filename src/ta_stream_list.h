/*
 * ta_stream_list.h - every streamable kernel, once: the harness, the fuzz
 * test, the bench and the feature builder iterate over this list (through
 * ta_stream_kernels[]).  Each entry names a TaStreamKernel ta_stream_NAME
 * defined next to its batch kernel.  Keep one section per source file so
 * additions merge cleanly.  Included by ta_stream.h with TA_STREAM_KERNEL
 * defined; no include guard on purpose.
 *
 * Adding a kernel (see ta_average.c's SMA for a worked one):
 *  1. a body struct: scalars first, ring slots last (a flexible array sized
 *     from the parameters); build on TaSma / TaEma / TaWma / TaDeque / TaRing;
 *  2. Size, Init, Push, Peek (Step on copies of the scalars, or Push on a
 *     copy of a ring-free body), Check (every index and count a push trusts
 *     is in range and consistent: bytes come back from a table) and Batch
 *     (the batch kernel behind the same inputs, params and outputs);
 *  3. TA_STREAM_DEFINE(name, inputs, params, outputs, Prefix) and a line
 *     here; test/unit/test_stream.c then proves it against Batch.
 */

/* ta_average.c */
TA_STREAM_KERNEL(sma)
TA_STREAM_KERNEL(ema)
TA_STREAM_KERNEL(wilder)
TA_STREAM_KERNEL(wma)
TA_STREAM_KERNEL(dema)
TA_STREAM_KERNEL(tema)
TA_STREAM_KERNEL(trima)
TA_STREAM_KERNEL(kama)
TA_STREAM_KERNEL(hma)
TA_STREAM_KERNEL(vwma)
TA_STREAM_KERNEL(vwap)

/* ta_rolling.c */
TA_STREAM_KERNEL(rolling_max)
TA_STREAM_KERNEL(rolling_min)

/* ta_volume.c */
TA_STREAM_KERNEL(obv)
TA_STREAM_KERNEL(ad)
TA_STREAM_KERNEL(adosc)
TA_STREAM_KERNEL(cmf)
TA_STREAM_KERNEL(mfi)

/* ta_momentum.c */
TA_STREAM_KERNEL(rsi)
TA_STREAM_KERNEL(macd)
TA_STREAM_KERNEL(stoch)
TA_STREAM_KERNEL(stochrsi)
TA_STREAM_KERNEL(willr)
TA_STREAM_KERNEL(roc)
TA_STREAM_KERNEL(mom)
TA_STREAM_KERNEL(logret)
TA_STREAM_KERNEL(cmo)
TA_STREAM_KERNEL(trix)
TA_STREAM_KERNEL(ultosc)
TA_STREAM_KERNEL(apo)
TA_STREAM_KERNEL(ppo)
TA_STREAM_KERNEL(aroon)
TA_STREAM_KERNEL(linreg_slope)

/* ta_cci.c */
TA_STREAM_KERNEL(cci)

/* ta_volatility.c */
TA_STREAM_KERNEL(trange)
TA_STREAM_KERNEL(atr)
TA_STREAM_KERNEL(natr)
TA_STREAM_KERNEL(dmi)
TA_STREAM_KERNEL(var)
TA_STREAM_KERNEL(stddev)
TA_STREAM_KERNEL(bbands)
TA_STREAM_KERNEL(zscore)
TA_STREAM_KERNEL(keltner)
TA_STREAM_KERNEL(donchian)
TA_STREAM_KERNEL(psar)
