/*
 * fuzz_inventory.c: inventory_load (libcsv, address and MAC keys) on each
 * input as a CSV file, then lookups and learning with addresses and MACs
 * taken from the input's tail, so the learned-binding table is exercised.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "log.h"

#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 16 bytes of address from the input at off, wrapping; IPv4-mapped when
 * the first byte is even, so both families get looked up. */
static void
fuzz_addr(const uint8_t *data, size_t size, size_t off, uint8_t addr[16])
{
	size_t i;

	for (i = 0; i < 16; i++)
		addr[i] = data[(off + i) % size];
	if ((addr[0] & 1) == 0) {
		memset(addr, 0, 10);
		addr[10] = addr[11] = 0xff;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv;
	const struct inventory_vm *vm;
	uint8_t addr[16], mac[6];
	char err[512];
	size_t i, j;

	log_set_level(LOG_LEVEL_ERR);
	err[0] = '\0';
	if ((inv = inventory_load(fuzz_file_write(data, size), err,
	    sizeof(err))) == NULL)
		return 0;
	(void)inventory_count(inv);
	(void)inventory_has_macs(inv);
	for (i = 0; size > 0 && i < 16; i++) {
		size_t off = size > 64 ? size - 64 + i * 4 : i * 4;

		fuzz_addr(data, size, off, addr);
		for (j = 0; j < 6; j++)
			mac[j] = data[(off + j) % size];
		inventory_learn(inv, mac, addr);
		if ((vm = inventory_lookup(inv, addr)) != NULL &&
		    (vm->vm_id == NULL || vm->vm_id[0] == '\0' ||
		    vm->tenant == NULL || vm->labels == NULL))
			abort();
	}
	(void)inventory_learned(inv);
	(void)inventory_replaced(inv);
	inventory_free(inv);
	return 0;
}
