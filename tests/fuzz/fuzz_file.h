/*
 * fuzz_file.h: the one helper the libFuzzer targets share. The parsers under
 * test take a path, so each input is written to one fixed file per process
 * in /dev/shm (tmpfs: no disk I/O), rewritten for every input and removed at
 * exit. Header-only so each target stays a single translation unit.
 */
#ifndef EGRESSD_FUZZ_FILE_H
#define EGRESSD_FUZZ_FILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char fuzz_path[64];

static void
fuzz_file_remove(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
}

/* Writes the input to this process's file and returns its path; aborts
 * when that fails, since every later input would be skipped silently. */
static const char *
fuzz_file_write(const uint8_t *data, size_t size)
{
	FILE *fp;

	if (fuzz_path[0] == '\0') {
		snprintf(fuzz_path, sizeof(fuzz_path), "/dev/shm/egressd-fuzz-%ld",
		    (long)getpid());
		atexit(fuzz_file_remove);
	}
	if ((fp = fopen(fuzz_path, "wb")) == NULL ||
	    (size > 0 && fwrite(data, 1, size, fp) != size) || fclose(fp) != 0) {
		perror(fuzz_path);
		abort();
	}
	return fuzz_path;
}

#endif
