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

/* ta_rolling.c */

/* ta_volume.c */

/* ta_momentum.c */

/* ta_cci.c */

/* ta_volatility.c */
