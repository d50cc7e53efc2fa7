/*
 * ta_stream_list.h - every streamable kernel, once: the harness, the fuzz
 * test, the bench and the feature builder iterate over this list (through
 * ta_stream_kernels[]).  Each entry names a TaStreamKernel ta_stream_NAME
 * defined next to its batch kernel.  Keep one section per source file so
 * additions merge cleanly.  Included by ta_stream.h with TA_STREAM_KERNEL
 * defined; no include guard on purpose.
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

/* ta_cci.c */

/* ta_volatility.c */
