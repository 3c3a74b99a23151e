/*
 * test_frame_ring.c: the read-ahead ring (capture/frame_ring.h) between
 * two threads, and source_readahead against reading in one thread.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frame_ring.h"
#include "decode.h"
#include "source.h"
#include "suites.h"

#define RING_BYTES	(64U << 10)
#define FRAMES		20000

/* Frame i: its length walks through every size up to a little over a
 * quarter of the ring, so records wrap at every offset, and the longest
 * are cut; its bytes say i. */
static uint32_t
frame_len(unsigned i)
{
	return (i * 7919U) % (RING_BYTES / 4 + 100);
}

static uint8_t
frame_byte(unsigned i, uint32_t k)
{
	return (uint8_t)(i * 31U + k);
}

struct producer {
	struct frame_ring *r;
	unsigned put;
	int stopped;
};

static void *
produce(void *arg)
{
	struct producer *p = arg;
	static uint8_t data[RING_BYTES / 4 + 100];
	struct frame fr;
	unsigned i;
	uint32_t k;

	for (i = 0; i < FRAMES; i++) {
		memset(&fr, 0, sizeof(fr));
		fr.caplen = frame_len(i);
		fr.wire_len = fr.caplen + 1;
		fr.ts_us = i;
		for (k = 0; k < fr.caplen; k++)
			data[k] = frame_byte(i, k);
		fr.data = data;
		if (frame_ring_put(p->r, &fr, 1, i % 3) == -1) {
			p->stopped = 1;
			return NULL;
		}
		p->put++;
	}
	frame_ring_end(p->r, SOURCE_CUT, "cut short");
	return NULL;
}

START_TEST(frames_in_order)
{
	struct frame_ring *r = frame_ring_new(RING_BYTES);
	struct producer p = { .r = r };
	struct frame fr;
	pthread_t t;
	char err[64];
	unsigned i, cut = 0;
	uint32_t input, k, want;
	int dlt, rc;

	ck_assert_int_eq(pthread_create(&t, NULL, produce, &p), 0);
	for (i = 0; (rc = frame_ring_get(r, &fr, &dlt, &input, err,
	    sizeof(err))) == 1; i++) {
		want = frame_len(i);
		ck_assert_uint_eq(fr.ts_us, i);
		ck_assert_uint_eq(fr.wire_len, want + 1);
		ck_assert_int_eq(dlt, 1);
		ck_assert_uint_eq(input, i % 3);
		ck_assert_uint_le(fr.caplen, want);
		cut += fr.caplen < want;
		for (k = 0; k < fr.caplen; k++)
			if (fr.data[k] != frame_byte(i, k))
				ck_abort_msg("frame %u byte %u", i, k);
		frame_ring_release(r);
	}
	ck_assert_uint_eq(i, FRAMES);
	ck_assert_uint_gt(cut, 0);
	ck_assert_int_eq(rc, SOURCE_CUT);
	ck_assert_str_eq(err, "cut short");
	pthread_join(t, NULL);
	frame_ring_free(r);
}
END_TEST

START_TEST(stop_frees_a_waiting_reader)
{
	struct frame_ring *r = frame_ring_new(RING_BYTES);
	struct producer p = { .r = r };
	struct frame fr;
	pthread_t t;
	char err[64];
	uint32_t input;
	int dlt;

	ck_assert_int_eq(pthread_create(&t, NULL, produce, &p), 0);
	/* One frame taken; the reader fills the ring and waits. */
	ck_assert_int_eq(frame_ring_get(r, &fr, &dlt, &input, err,
	    sizeof(err)), 1);
	frame_ring_release(r);
	frame_ring_stop(r);
	pthread_join(t, NULL);
	ck_assert_int_eq(p.stopped, 1);
	ck_assert_uint_lt(p.put, FRAMES);
	frame_ring_free(r);
}
END_TEST

#define CAPTURE	"tests/golden/meek/capture.pcap"

struct seen {
	unsigned n;
	uint64_t sum;		/* of times, lengths and bytes */
};

static void
count(const struct frame *fr, int dlt, void *arg)
{
	struct seen *s = arg;
	uint32_t k;

	s->n++;
	s->sum += fr->ts_us + fr->caplen * 3 + fr->wire_len * 5 +
	    (uint64_t)dlt;
	for (k = 0; k < fr->caplen; k++)
		s->sum += fr->data[k] * (k + 1);
}

/* Polls src to its end; returns the end code. */
static int
drain(struct source *src, struct seen *s, char *err, size_t errlen)
{
	int rc;

	while ((rc = source_poll(src, 0, 0, count, s, err, errlen)) > 0)
		;
	return rc;
}

START_TEST(readahead_reads_the_same)
{
	const char *paths[] = { CAPTURE, CAPTURE };
	struct seen a = { 0 }, b = { 0 };
	struct source *src;
	char err[256];
	uint64_t done, total;

	src = source_open_files(paths, 2, NULL, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(drain(src, &a, err, sizeof(err)), SOURCE_END);
	source_close(src);

	src = source_open_files(paths, 2, NULL, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(source_readahead(src, RING_BYTES), 0);
	ck_assert_int_eq(source_readahead(src, RING_BYTES), -1);
	ck_assert_int_eq(drain(src, &b, err, sizeof(err)), SOURCE_END);
	ck_assert_int_eq(source_progress(src, &done, &total), 0);
	ck_assert_uint_eq(done, total);
	ck_assert_str_eq(source_name(src), CAPTURE);
	source_close(src);

	ck_assert_uint_gt(a.n, 100);
	ck_assert_uint_eq(a.n, b.n);
	ck_assert_uint_eq(a.sum, b.sum);
}
END_TEST

START_TEST(readahead_cut_file)
{
	char path[] = "/tmp/egd-unit-cut-XXXXXX", err[256];
	struct stats_event st;
	struct seen s = { 0 };
	struct source *src;
	FILE *in, *out;
	uint8_t buf[1 << 16];
	size_t n, total = 0;
	int fd;

	/* The capture without its last 10 bytes: a record cut short. */
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(in = fopen(CAPTURE, "rb"));
	ck_assert_ptr_nonnull(out = fdopen(fd, "wb"));
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
		fwrite(buf, 1, n, out);
		total += n;
	}
	fclose(in);
	ck_assert_int_eq(fflush(out), 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)(total - 10)), 0);
	fclose(out);

	src = source_open_file(path, err, sizeof(err));
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(source_readahead(src, RING_BYTES), 0);
	ck_assert_int_eq(drain(src, &s, err, sizeof(err)), SOURCE_CUT);
	ck_assert_ptr_nonnull(strstr(err, path));
	memset(&st, 0, sizeof(st));
	source_figures(src, 0, &st);
	ck_assert_uint_eq(st.n, 1);
	ck_assert_uint_eq(st.c[0].value, 1);
	source_close(src);
	unlink(path);
	ck_assert_uint_gt(s.n, 100);
}
END_TEST

START_TEST(readahead_closed_early)
{
	struct seen s = { 0 };
	struct source *src;
	char err[256];

	src = source_open_file(CAPTURE, err, sizeof(err));
	ck_assert_ptr_nonnull(src);
	ck_assert_int_eq(source_readahead(src, RING_BYTES), 0);
	ck_assert_int_gt(source_poll(src, 0, 0, count, &s, err, sizeof(err)),
	    0);
	source_close(src);	/* the thread is stopped and joined */
}
END_TEST

START_TEST(readahead_not_for_stdin)
{
	const char *paths[] = { "-" };
	struct source *src;
	char err[256];

	src = source_open_files(paths, 1, NULL, NULL, err, sizeof(err));
	if (src == NULL)
		return;		/* standard input is no capture here */
	ck_assert_int_eq(source_readahead(src, RING_BYTES), -1);
	source_close(src);
}
END_TEST

Suite *
frame_ring_suite(void)
{
	Suite *s = suite_create("frame_ring");
	TCase *tc = tcase_create("frame_ring");

	tcase_add_test(tc, frames_in_order);
	tcase_add_test(tc, stop_frees_a_waiting_reader);
	tcase_add_test(tc, readahead_reads_the_same);
	tcase_add_test(tc, readahead_cut_file);
	tcase_add_test(tc, readahead_closed_early);
	tcase_add_test(tc, readahead_not_for_stdin);
	suite_add_tcase(s, tc);
	return s;
}
