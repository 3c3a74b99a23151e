/*
 * fuzz_config.c: config_load (libinih plus every option's parser: sizes,
 * durations, booleans, CIDR lists, paths) on each input as a config file.
 * struct config holds a thousand CIDRs and many paths, so it is static
 * rather than on the stack.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "log.h"

#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config fuzz_cfg, fuzz_defaults;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	FILE *null;
	size_t i;
	const char *name;
	int takes_value;

	log_set_level(LOG_LEVEL_ERR);
	config_defaults(&fuzz_cfg);
	err[0] = '\0';
	if (config_load(&fuzz_cfg, fuzz_file_write(data, size), err,
	    sizeof(err)) != 0)
		return 0;
	/* A loaded config must also dump and compare without trouble. */
	config_defaults(&fuzz_defaults);
	for (i = 0; (name = config_option_name(i, &takes_value)) != NULL; i++)
		(void)config_changed(&fuzz_cfg, &fuzz_defaults, name);
	if ((null = fopen("/dev/null", "w")) != NULL) {
		config_dump(&fuzz_cfg, null);
		fclose(null);
	}
	return 0;
}
