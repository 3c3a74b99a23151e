/*
 * fuzz_decode.c: decode_packet on every link type the decoder knows. The
 * first input byte picks the link type (modulo the table below, which
 * tests/fuzz/seeds.py mirrors); the rest is the frame. No nDPI, so this one
 * runs fast and goes deep into the tunnel and extension-header code.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <pcap/pcap.h>

#include "decode.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int fuzz_dlts[] = {
	DLT_EN10MB, DLT_RAW, DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL,
	DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_C_HDLC, DLT_PPI,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	enum decode_result r;
	int dlt;

	if (size < 1 || size > UINT32_MAX)
		return 0;
	dlt = fuzz_dlts[data[0] % (sizeof(fuzz_dlts) / sizeof(fuzz_dlts[0]))];
	if (!decode_linktype_supported(dlt))
		__builtin_trap();
	memset(&p, 0xa5, sizeof(p));
	r = decode_packet(dlt, data + 1, (uint32_t)(size - 1), &p);
	if ((unsigned)r >= DECODE_NRESULTS)
		__builtin_trap();
	if (r == DECODE_OK) {
		const uint8_t *end = data + size;
		volatile uint8_t sink = 0;

		/* The promise of decode.h: pointers stay inside the frame and
		 * the captured lengths cover only bytes that were captured.
		 * Touching the bytes lets ASan check it too. */
		if (p.l3 < data + 1 || p.l3 > end ||
		    p.l3_len > (size_t)(end - p.l3))
			__builtin_trap();
		if (p.l3_len > 0)
			sink ^= p.l3[0] ^ p.l3[p.l3_len - 1];
		if (p.payload != NULL) {
			if (p.payload < p.l3 || p.payload > end ||
			    p.payload_caplen > (size_t)(end - p.payload))
				__builtin_trap();
			if (p.payload_caplen > 0)
				sink ^= p.payload[0] ^
				    p.payload[p.payload_caplen - 1];
		}
		if (p.ipver != 4 && p.ipver != 6)
			__builtin_trap();
		(void)sink;
	}
	(void)decode_result_name(r);
	return 0;
}
