/*
 * eve_int.h: what eve.c (the writer and egressd's native records) shares
 * with eve_suricata.c (the same events in Suricata's EVE schema): the
 * jansson helpers that keep every string valid UTF-8, and the line writer.
 */
#ifndef EGRESSD_EVE_INT_H
#define EGRESSD_EVE_INT_H

#include <jansson.h>
#include <stdint.h>

#include "eve.h"

/* A JSON string of val, every byte that is not valid UTF-8 made '?'. */
json_t *eve_json_string(const char *val);
void eve_set_str(json_t *o, const char *key, const char *val);
/* The inventory's ';' separated labels as an array of trimmed strings,
 * empty ones left out (the caller owns it). */
json_t *eve_labels(const char *labels);
void eve_set_int(json_t *o, const char *key, uint64_t val);

/* Writes one object as a line and frees it. */
void eve_emit(struct eve *e, json_t *o);

/* The native verdict's evidence object (the caller owns it). */
json_t *eve_evidence_object(const struct verdict *v);

/* Suricata's records of the same events (the caller owns each). */
json_t *eve_suricata_flow(const struct flow_event *fe);
json_t *eve_suricata_alert(const struct verdict *v);
json_t *eve_suricata_stats(const struct stats_event *s);

#endif
