/*
 * geo.c: country and autonomous system of an address from MaxMind DB files,
 * read with libmaxminddb. See geo.h.
 *
 * The files are mapped (MMDB_MODE_MMAP) and a lookup only walks the mapped
 * tree and decodes the few values it needs, with no heap allocation at all:
 * values are read with MMDB_aget_value and fixed paths, because
 * MMDB_get_value builds its path array with calloc on every call. IPv4
 * addresses, which callers pass IPv4-mapped, are looked up as AF_INET:
 * libmaxminddb then walks ::/96 of an IPv6 tree (or an IPv4 tree), which
 * finds them whether or not the file also aliases ::ffff:0:0/96 there.
 *
 * Whatever the file holds is untrusted: a country code is kept only when it
 * is two letters A-Z, an organization only when it is valid UTF-8 (cut at a
 * character boundary to fit), and any lookup error is simply "not found".
 */
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "geo.h"
#include "util.h"

struct geo {
	MMDB_s country;		/* valid when has_country */
	MMDB_s asn;		/* valid when has_asn */
	int has_country;
	int has_asn;
};

static const char *const path_country[] = { "country", "iso_code", NULL };
static const char *const path_registered[] = {
	"registered_country", "iso_code", NULL
};
static const char *const path_asn[] = { "autonomous_system_number", NULL };
static const char *const path_as_org[] = {
	"autonomous_system_organization", NULL
};

static int
open_db(const char *path, MMDB_s *db, char *err, size_t errlen)
{
	int status;

	/*
	 * libmaxminddb opens the file by its path and has no call that takes
	 * a descriptor, and its open of a FIFO would wait for a writer: the
	 * path is checked first to be a regular file. A file swapped for a
	 * FIFO between this check and MMDB_open() is outside what egressd
	 * defends against: whoever can do that can write the database.
	 */
	if (file_check_regular(path, err, errlen) == -1)
		return -1;
	errno = 0;
	status = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (status == MMDB_SUCCESS)
		return 0;
	if ((status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) &&
	    errno != 0)
		snprintf(err, errlen, "%s: %s: %s", path, MMDB_strerror(status),
		    strerror(errno));
	else
		snprintf(err, errlen, "%s: %s", path, MMDB_strerror(status));
	return -1;
}

static const char *
db_type(const MMDB_s *db)
{
	return db->metadata.database_type != NULL ?
	    db->metadata.database_type : "";
}

struct geo *
geo_open(const char *country_db, const char *asn_db, char *err, size_t errlen)
{
	struct geo *g;
	const char *type;

	g = xcalloc(1, sizeof(*g));
	if (country_db != NULL) {
		if (open_db(country_db, &g->country, err, errlen) == -1)
			goto fail;
		g->has_country = 1;
		type = db_type(&g->country);
		if (strstr(type, "Country") == NULL &&
		    strstr(type, "City") == NULL) {
			snprintf(err, errlen, "%s: not a Country/City database "
			    "(type '%s')", country_db, type);
			goto fail;
		}
	}
	if (asn_db != NULL) {
		if (open_db(asn_db, &g->asn, err, errlen) == -1)
			goto fail;
		g->has_asn = 1;
		type = db_type(&g->asn);
		if (strstr(type, "ASN") == NULL) {
			snprintf(err, errlen, "%s: not an ASN database "
			    "(type '%s')", asn_db, type);
			goto fail;
		}
	}
	return g;

fail:
	geo_close(g);
	return NULL;
}

void
geo_close(struct geo *g)
{
	if (g == NULL)
		return;
	if (g->has_country)
		MMDB_close(&g->country);
	if (g->has_asn)
		MMDB_close(&g->asn);
	free(g);
}

/* Returns the length of the UTF-8 character at s (of n bytes left), or 0
 * when it is not one: truncated, overlong, a surrogate, past U+10FFFF, or
 * NUL (which would end the C string early). */
static size_t
utf8_char_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (s[0] >= 0x01 && s[0] <= 0x7f)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* Copies the n bytes at src into dst as a string when they are valid UTF-8,
 * as many whole characters as fit; leaves dst "" otherwise. */
static void
copy_utf8(char *dst, size_t dstlen, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t off, len, keep = 0;

	dst[0] = '\0';
	for (off = 0; off < n; off += len) {
		if ((len = utf8_char_len(s + off, n - off)) == 0)
			return;
		if (off + len < dstlen)
			keep = off + len;
	}
	memcpy(dst, src, keep);
	dst[keep] = '\0';
}

static int
lookup_entry(MMDB_s *db, const struct sockaddr *sa, MMDB_entry_s *entry)
{
	MMDB_lookup_result_s res;
	int mmdb_error;

	res = MMDB_lookup_sockaddr(db, sa, &mmdb_error);
	if (mmdb_error != MMDB_SUCCESS || !res.found_entry)
		return 0;
	*entry = res.entry;
	return 1;
}

static int
get_string(MMDB_entry_s *entry, const char *const *path,
    MMDB_entry_data_s *data)
{
	if (MMDB_aget_value(entry, data, path) != MMDB_SUCCESS)
		return 0;
	return data->has_data && data->type == MMDB_DATA_TYPE_UTF8_STRING;
}

static int
read_iso_code(MMDB_entry_s *entry, const char *const *path, char out[3])
{
	MMDB_entry_data_s data;
	const char *s;

	if (!get_string(entry, path, &data) || data.data_size != 2)
		return 0;
	s = data.utf8_string;
	if (s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z')
		return 0;
	out[0] = s[0];
	out[1] = s[1];
	out[2] = '\0';
	return 1;
}

static void
read_country(MMDB_entry_s *entry, struct geo_info *out)
{
	if (!read_iso_code(entry, path_country, out->country))
		read_iso_code(entry, path_registered, out->country);
}

static void
read_asn(MMDB_entry_s *entry, struct geo_info *out)
{
	MMDB_entry_data_s data;

	if (MMDB_aget_value(entry, &data, path_asn) == MMDB_SUCCESS &&
	    data.has_data) {
		if (data.type == MMDB_DATA_TYPE_UINT32)
			out->asn = data.uint32;
		else if (data.type == MMDB_DATA_TYPE_UINT16)
			out->asn = data.uint16;
		else if (data.type == MMDB_DATA_TYPE_UINT64 &&
		    data.uint64 <= UINT32_MAX)
			out->asn = (uint32_t)data.uint64;
	}
	if (get_string(entry, path_as_org, &data))
		copy_utf8(out->as_org, sizeof(out->as_org), data.utf8_string,
		    data.data_size);
}

int
geo_lookup(struct geo *g, const uint8_t addr[16], struct geo_info *out)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} su;
	MMDB_entry_s entry;

	memset(out, 0, sizeof(*out));
	if (g == NULL)
		return 0;
	memset(&su, 0, sizeof(su));
	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		su.sin.sin_family = AF_INET;
		memcpy(&su.sin.sin_addr, addr + 12, 4);
	} else {
		su.sin6.sin6_family = AF_INET6;
		memcpy(&su.sin6.sin6_addr, addr, 16);
	}
	if (g->has_country && lookup_entry(&g->country, &su.sa, &entry))
		read_country(&entry, out);
	if (g->has_asn && lookup_entry(&g->asn, &su.sa, &entry))
		read_asn(&entry, out);
	return out->country[0] != '\0' || out->asn != 0 ||
	    out->as_org[0] != '\0';
}
