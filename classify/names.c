/*
 * names.c: host names from a client's first bytes (see names.h).
 * A name is taken only when every length on the way to it fits inside the
 * record that holds it, and only names a resolver could ask for: letters,
 * digits, '-', '_' and dots, at most 253 bytes.
 */
#include <string.h>

#include "bytes.h"
#include "names.h"

/* Copies a host name of n bytes into out, lower-cased; returns n, or 0
 * when it is empty, too long or holds a byte no host name has. */
static size_t
take_name(const uint8_t *s, size_t n, char *out)
{
	size_t i;

	while (n > 0 && s[n - 1] == '.')
		n--;		/* an absolute name's root dot */
	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		uint8_t c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			return 0;
		out[i] = (char)c;
	}
	out[n] = '\0';
	return n;
}

size_t
name_tls_sni(const uint8_t *d, size_t len, char *out)
{
	size_t rec, hs, off, n, end, ext_end;

	/* TLSPlaintext: handshake(22), legacy version 3.x, length. */
	if (len < 5 + 4 || d[0] != 22 || d[1] != 3)
		return 0;
	rec = be16(d + 3);
	if (len > 5 + rec)
		len = 5 + rec;	/* only this record */
	/* Handshake: client_hello(1), 24-bit length. */
	if (d[5] != 1)
		return 0;
	hs = (size_t)d[6] << 16 | (size_t)d[7] << 8 | d[8];
	end = 9 + hs < len ? 9 + hs : len;
	off = 9 + 2 + 32;		/* legacy_version, random */
	if (off + 1 > end)
		return 0;
	off += 1 + d[off];		/* legacy_session_id */
	if (off + 2 > end)
		return 0;
	off += 2 + be16(d + off);	/* cipher_suites */
	if (off + 1 > end)
		return 0;
	off += 1 + d[off];		/* legacy_compression_methods */
	if (off + 2 > end)
		return 0;
	ext_end = off + 2 + be16(d + off);
	off += 2;
	if (ext_end > end)
		ext_end = end;		/* the part of them this segment has */
	while (off + 4 <= ext_end) {
		uint16_t type = be16(d + off);

		n = be16(d + off + 2);
		off += 4;
		if (off + n > ext_end)
			return 0;
		if (type == 0) {
			/* ServerNameList: length, then name_type(0 host_name)
			 * and a 16-bit length each. */
			size_t p = off + 2, lend = off + n;

			if (n < 2 || off + 2 + be16(d + off) != lend)
				return 0;
			while (p + 3 <= lend) {
				size_t l = be16(d + p + 1);

				if (p + 3 + l > lend)
					return 0;
				if (d[p] == 0)
					return take_name(d + p + 3, l, out);
				p += 3 + l;
			}
			return 0;
		}
		off += n;
	}
	return 0;
}

static int
ieq(const uint8_t *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (c != (uint8_t)b[i])
			return 0;
	}
	return 1;
}

size_t
name_http_host(const uint8_t *d, size_t len, char *out)
{
	size_t i, line, s, e;

	/* A request line: a token of upper-case letters, a space. */
	for (i = 0; i < len && i < 16 && d[i] >= 'A' && d[i] <= 'Z'; i++)
		;
	if (i == 0 || i >= len || d[i] != ' ')
		return 0;
	/* Header lines up to the empty one; "Host:" case-insensitive. */
	for (line = 0; line < len; ) {
		const uint8_t *nl = memchr(d + line, '\n', len - line);
		size_t next = nl != NULL ? (size_t)(nl - d) + 1 : len;

		if (line > 0 && next - line <= 2)
			return 0;	/* the end of the header */
		if (line > 0 && next - line > 5 && ieq(d + line, "host:", 5)) {
			for (s = line + 5; s < next && (d[s] == ' ' || d[s] == '\t'); s++)
				;
			for (e = s; e < next && d[e] != '\r' && d[e] != '\n' &&
			    d[e] != ' ' && d[e] != '\t' && d[e] != ':'; e++)
				;
			if (nl == NULL)
				return 0;	/* the line may go on */
			return take_name(d + s, e - s, out);
		}
		if (nl == NULL)
			return 0;
		line = next;
	}
	return 0;
}
