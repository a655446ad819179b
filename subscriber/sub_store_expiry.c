/*
 * The table's deadlines: each instance's ttl window, its place in the
 * expiry heap, expiry itself, and the fresh windows of self-preservation.
 */
#include <stdlib.h>

#include "subscriber/sub_store_int.h"

/* The expiry heap's precision: a renewal moves an instance in the heap
 * only when its deadline moves by more than this (or earlier at all), so
 * that a burst of renewals costs no heap work. Its place in the heap stays
 * at or before its deadline, and expiry checks the deadline itself, so the
 * instance never expires late, nor early. */
#define EXPIRY_PRECISION_MS 500

/* A fresh ttl window from now: the deadline, and what people read of it. */
void sub_store__renew(struct sub_store *t, struct inst *in, int64_t now_ms)
{
	in->last_seen = t->lim.wall_ms();
	in->deadline = now_ms + (int64_t)in->tok.ttl * 1000;
	in->expires_wall = in->last_seen + (int64_t)in->tok.ttl * 1000;
}

/* Moves a renewed instance in the heap, when past the heap's precision. */
void sub_store__reschedule(struct sub_store *t, struct inst *in)
{
	if (in->deadline < in->expiry.at || in->deadline - in->expiry.at > EXPIRY_PRECISION_MS) {
		in->expiry.at = in->deadline;
		heap_fix(&t->heap, &in->expiry);
	}
}

size_t sub_store_expire(struct sub_store *t, int64_t now_ms, struct token *out, size_t max)
{
	struct heap_node *top;
	size_t n = 0;

	pthread_mutex_lock(&t->mu);
	while (!t->stale && n < max) {
		struct inst *in;
		top = heap_top(&t->heap);
		if (!top || top->at > now_ms)
			break;
		in = INST_OF_EXPIRY(top);
		if (in->deadline > now_ms) {
			/* Renewed within the heap's precision: its real place. */
			top->at = in->deadline;
			heap_fix(&t->heap, top);
			continue;
		}
		if (token_copy(&out[n], &in->tok) < 0)
			break; /* retried on the next call */
		sub_store__unlink(t, in, now_ms);
		t->expiries++;
		sub_store__record(t, in->svc, SUB_STORE_LEFT, in, SUBSCRIBER_LEFT_EXPIRED, NULL);
		sub_store__inst_free(t, in);
		n++;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

int64_t sub_store_next_expiry(struct sub_store *t)
{
	struct heap_node *top;
	int64_t at;

	pthread_mutex_lock(&t->mu);
	top = heap_top(&t->heap);
	at = top ? top->at : INT64_MAX;
	pthread_mutex_unlock(&t->mu);
	return at;
}

void sub_store_set_stale(struct sub_store *t, bool stale, int64_t now_ms)
{
	size_t i;

	pthread_mutex_lock(&t->mu);
	if (t->stale && !stale) {
		/* Every instance keeps its order: all windows start now. */
		int64_t wall = t->lim.wall_ms();

		for (i = 0; i < t->heap.len; i++) {
			struct inst *in = INST_OF_EXPIRY(t->heap.v[i]);

			in->deadline = now_ms + (int64_t)in->tok.ttl * 1000;
			in->expiry.at = in->deadline;
			in->expires_wall = wall + (int64_t)in->tok.ttl * 1000;
		}
		heap_rebuild(&t->heap);
	}
	t->stale = stale;
	pthread_mutex_unlock(&t->mu);
}
