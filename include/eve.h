/*
 * eve.h: the JSON lines writer, one object per line, written with jansson
 * so every string is escaped by a real JSON library. Two formats: egressd's
 * own records (the event stream, the webhook's and the exec hook's bodies)
 * and Suricata's EVE schema (the --eve file), so that what reads Suricata's
 * eve.json reads egressd's. Timestamps are UTC with microseconds, from
 * packet time, so a replay writes the same bytes every time.
 */
#ifndef EGRESSD_EVE_H
#define EGRESSD_EVE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct eve;

enum eve_format { EVE_NATIVE, EVE_SURICATA };

/* Opens path for appending ("-" is standard output). */
struct eve *eve_open(const char *path, enum eve_format format, char *err,
    size_t errlen);

/* For -t: whether eve_open could open path ("-", an existing file that is
 * not a directory, or a new name in an existing directory), without
 * making it. Returns 0, or -1 with a message. */
int eve_check_path(const char *path, char *err, size_t errlen);
/* Flushes and closes; returns 0, or -1 with a message if data was lost. */
int eve_close(struct eve *e, char *err, size_t errlen);

/* Reopens the file by its name (after logrotate moved it); returns 0, or
 * -1 with a message, writing on to the old file. */
int eve_reopen(struct eve *e, char *err, size_t errlen);

/* Live capture: flush after every event (else stdio buffers them). */
void eve_flush_each(struct eve *e, int on);

void eve_flow(struct eve *e, const struct flow_event *fe);
void eve_verdict(struct eve *e, const struct verdict *v);
void eve_stats(struct eve *e, const struct stats_event *s);

/* The verdict event as one compact JSON text, no newline, in a new buffer
 * the caller frees; NULL when out of memory. */
char *eve_verdict_json(const struct verdict *v);

/* Writes "2026-11-22T10:00:00.123456Z" (at least 28 bytes). */
void eve_timestamp(uint64_t ts_us, char *buf, size_t len);
/* Writes "2026-11-22T10:00:00.123456+0000", as Suricata does. */
void eve_timestamp_suricata(uint64_t ts_us, char *buf, size_t len);
/* alert.signature_id of a verdict: stable per detector or rule. */
uint32_t eve_signature_id(const struct verdict *v);
/* "TCP", "UDP", "ICMP", "ICMPv6", or NULL for a number. */
const char *eve_proto_name(uint8_t proto);

#endif
