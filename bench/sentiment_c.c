/*
 * sentiment_c.c - headlines per second of the C scorer alone (no server):
 * scores every line of a file ROUNDS times, prints one figure per run.
 * Built and run by bench/sentiment.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentiment.h"

#define BENCH_MAX_LINES 10000

int
main(int argc, char **argv)
{
	static char *lines[BENCH_MAX_LINES];
	static size_t lens[BENCH_MAX_LINES];
	char		buf[8192];
	int			n = 0,
				rounds = argc > 2 ? atoi(argv[2]) : 1000;
	FILE	   *f = argc > 1 ? fopen(argv[1], "r") : NULL;
	struct timespec t0,
				t1;
	double		sink = 0;

	if (f == NULL)
	{
		fprintf(stderr, "usage: sentiment_c headlines.tsv [rounds]\n");
		return 2;
	}
	while (n < BENCH_MAX_LINES && fgets(buf, sizeof(buf), f))
	{
		char	   *t = strchr(buf, '\t');
		char	   *h = t ? t + 1 : buf;

		h[strcspn(h, "\n")] = '\0';
		lines[n] = strdup(h);
		lens[n] = strlen(h);
		n++;
	}
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
		{
			SentimentScore s;

			SentimentScoreText(lines[i], lens[i], NULL, SENT_RULE_ALL, &s);
			sink += s.compound;
		}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.0f\n", (double) n * rounds / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
	return sink == 12345.678 ? 1 : 0;
}
