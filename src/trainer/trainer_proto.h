/*
 * trainer_proto.h - the pipe protocol between a backend and the XGBoost
 * trainer process (alphapulse_trainer).  Plain C, no PostgreSQL and no
 * XGBoost headers, so the decoder can be fuzzed on its own.
 *
 * Every message is a frame: uint32 type, uint32 payload length, payload, in
 * host byte order (both ends run on the same machine).  The backend sends one
 * DATA frame (the whole training matrix and labels) and then FIT requests; the
 * trainer answers each FIT with one RESULT or ERROR frame.
 *
 *   DATA    int32 n, int32 p, int32 threads, n*p float8 (row-major), n float8
 *   FIT     int32 train_from, train_to, eval_from, eval_to, max_rounds,
 *           es_rounds; uint8 early_stop, want_model, nparams; then nparams
 *           times (uint8 len, name, uint8 len, value)
 *   RESULT  int32 rounds, rounds_run, npred; float8 best_metric;
 *           2*rounds_run float8 curve; npred float8 predictions;
 *           uint32 model length, model bytes (UBJ)
 *   ERROR   message text (not terminated)
 */
#ifndef AP_TRAINER_PROTO_H
#define AP_TRAINER_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define AP_MSG_DATA 0x41500001u
#define AP_MSG_FIT 0x41500002u
#define AP_MSG_RESULT 0x41500003u
#define AP_MSG_ERROR 0x41500004u

#define AP_FRAME_HEADER 8
/* a FIT request is small: 24 + 3 + 32 * (2 + 31 + 2 + 63) bytes at most */
#define AP_MAX_FIT_REQUEST 4096
#define AP_MAX_ERROR_TEXT 1024
#define AP_TRAINER_MAX_PARAMS 32
#define AP_TRAINER_NAME_LEN 32	/* with the terminating zero */
#define AP_TRAINER_VALUE_LEN 64
/* bounds of the training matrix the trainer accepts (rows, features, rounds) */
#define AP_TRAINER_MAX_ROWS 100000000
#define AP_TRAINER_MAX_FEATURES 100000
#define AP_TRAINER_MAX_ROUNDS 1000000
#define AP_TRAINER_MAX_THREADS 1024
#define AP_DATA_HEADER 12

typedef struct ApDataHeader
{
	int32_t		n;
	int32_t		p;
	int32_t		threads;
} ApDataHeader;

typedef struct ApFitRequest
{
	int32_t		train_from,
				train_to,
				eval_from,
				eval_to,
				max_rounds,
				es_rounds;
	uint8_t		early_stop,
				want_model;
	int			nparams;
	char		name[AP_TRAINER_MAX_PARAMS][AP_TRAINER_NAME_LEN];
	char		value[AP_TRAINER_MAX_PARAMS][AP_TRAINER_VALUE_LEN];
} ApFitRequest;

typedef struct ApResultHeader
{
	int32_t		rounds,
				rounds_run,
				npred;
	double		best_metric;
} ApResultHeader;

#define AP_RESULT_HEADER 20

/* Frame header encode/decode (buf holds AP_FRAME_HEADER bytes). */
extern void ApPutFrame(uint8_t *buf, uint32_t type, uint32_t len);
extern void ApGetFrame(const uint8_t *buf, uint32_t *type, uint32_t *len);

/*
 * Checks a DATA frame's declared length and header; returns NULL when valid,
 * otherwise why not.
 */
extern const char *ApDecodeDataHeader(const uint8_t *buf, size_t len, uint64_t frame_len,
									  ApDataHeader *h);

/* The exact payload length of a DATA frame of n rows and p features. */
extern uint64_t ApDataLength(int32_t n, int32_t p);

/*
 * Decodes a FIT request against a matrix of n rows; returns NULL when valid,
 * otherwise why not.  Names are [a-z_] words, values printable ASCII.
 */
extern const char *ApDecodeFit(const uint8_t *buf, size_t len, int32_t n, ApFitRequest *r);

/* Encodes a FIT request into buf (AP_MAX_FIT_REQUEST bytes); returns its length or -1. */
extern int	ApEncodeFit(const ApFitRequest *r, uint8_t *buf, size_t cap);

/*
 * Checks a RESULT payload's header against what was asked (max_rounds, rows
 * of the eval range); sets *model_len; returns NULL when valid.
 */
extern const char *ApDecodeResult(const uint8_t *buf, size_t len, int32_t max_rounds,
								  int32_t npred, ApResultHeader *h, uint32_t *model_len);

#endif							/* AP_TRAINER_PROTO_H */
