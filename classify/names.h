/*
 * names.h: the name a client asks for, read from its own first bytes: the
 * server_name of a TLS ClientHello (RFC 8446 section 4.1.2, RFC 6066
 * section 3) and the Host header of an HTTP/1.x request (RFC 9112 section
 * 3.2). nDPI 4.2 keeps 79 bytes of a name and the flow record 54, but host
 * rules match a name's end ("*.domain"), so rules are matched against the
 * whole name these return, up to the 253 bytes DNS allows. The parsers
 * read only the bytes given, allocate nothing and never fail loudly: a
 * message cut short or malformed gives no name.
 */
#ifndef EGRESSD_NAMES_H
#define EGRESSD_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_LEN	253	/* RFC 1035 section 2.3.4, presentation form */

/* Writes the ClientHello's host_name, lower-cased and NUL-terminated, into
 * out (at least NAME_MAX_LEN + 1 bytes) and returns its length; 0 when d
 * holds no ClientHello with one (or only part of it). */
size_t name_tls_sni(const uint8_t *d, size_t len, char *out);

/* The same for the Host header of an HTTP/1.x request (the port cut off). */
size_t name_http_host(const uint8_t *d, size_t len, char *out);

#endif
