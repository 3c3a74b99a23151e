/*
 * ndpiinit.c: what nDPI costs before and after the first packet. Sets up a
 * detection module the way egressd does (classify/dpi.c: every protocol,
 * then finalised) and frees it: the part of every run, egressd's and
 * ndpiReader's alike, that no packet pays for.
 */
#include <ndpi/ndpi_api.h>
#include <stdio.h>

int
main(void)
{
	struct ndpi_detection_module_struct *mod;
	NDPI_PROTOCOL_BITMASK all;

	if ((mod = ndpi_init_detection_module(ndpi_no_prefs)) == NULL) {
		fprintf(stderr, "ndpiinit: cannot initialise nDPI\n");
		return 1;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(mod, &all);
	ndpi_finalize_initialization(mod);
	ndpi_exit_detection_module(mod);
	return 0;
}
