/*
 * inventory.h: who a VM is. A CSV file maps an address or a MAC to a VM id,
 * a tenant and labels:
 *
 *   # address or MAC, VM id, tenant, labels (';' between labels)
 *   10.1.2.3,vm-7f3a,acme,tier=free;gpu
 *   52:54:00:12:34:56,vm-9b1c,globex,
 *
 * A first line whose first field is "address", "mac", "ip" or "key" is a
 * header. Fields follow RFC 4180 quoting (libcsv), one record per line.
 * A key given twice, a line that is not a record, or a bad field is a
 * "file:line: what" error and nothing is loaded.
 *
 *   iface:tap-7f3a,vm-7f3a,acme,
 *
 * An iface: entry names the capture interface that carries one VM's
 * traffic alone (its tap, or the host end of its veth): what arrives on
 * it from the VM is the VM's, whatever the addresses say.
 *
 * A MAC or interface entry names its VM's addresses by learning: a packet
 * whose source MAC is in the inventory, or that came from the VM on its
 * interface, binds its source address to that VM, in a table of bounded
 * size (four bindings per MAC or interface entry; the oldest in a bucket
 * is replaced). Lookups by address try the file's addresses first, then the
 * learned ones. One thread owns an inventory; a reload builds a new one and
 * swaps it in.
 */
#ifndef EGRESSD_INVENTORY_H
#define EGRESSD_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#define INVENTORY_MAX_ENTRIES (1 << 20)
#define INVENTORY_LINE_MAX 1024
#define INVENTORY_IFNAME_MAX 15	/* IFNAMSIZ less its NUL */

struct inventory_vm {
	const char *vm_id;	/* never empty */
	const char *tenant;	/* "" when not given */
	const char *labels;	/* ';' separated, "" when none */
};

struct inventory;

struct inventory *inventory_load(const char *path, char *err, size_t errlen);
void inventory_free(struct inventory *inv);

size_t inventory_count(const struct inventory *inv);
/* Whether any entry is keyed by MAC or interface (and learning is worth a
 * lookup). */
int inventory_has_macs(const struct inventory *inv);

/* The VM at addr (16 bytes, IPv4-mapped), or NULL. */
const struct inventory_vm *inventory_lookup(const struct inventory *inv,
    const uint8_t addr[16]);

/* Binds addr to the VM whose MAC is mac, when there is one. */
void inventory_learn(struct inventory *inv, const uint8_t mac[6],
    const uint8_t addr[16]);
/* Binds addr to the VM whose interface is ifname, when there is one. */
void inventory_learn_iface(struct inventory *inv, const char *ifname,
    const uint8_t addr[16]);
/* The VM whose interface is ifname, or NULL. */
const struct inventory_vm *inventory_iface(const struct inventory *inv,
    const char *ifname);

/*
 * A packet from the VM whose MAC is mac, sent from addr: returns that VM
 * (NULL when mac is no VM's). When addr is not the VM's own (an address
 * row names another VM, or no row names it and in_nets is 0: outside
 * vm_networks; in_nets -1 when none are set), *st is the VM's count of
 * such packets in the current window of window_us, this one included,
 * and its last report (the caller's); NULL otherwise. The unspecified
 * address and IPv6 link-local ones are anyone's.
 */
struct inventory_foreign {
	uint64_t start;		/* of the window */
	uint32_t count;
	uint64_t last;		/* last report + 1, 0 never (the caller's) */
	uint8_t example[16];	/* the last foreign address (the caller's) */
};
const struct inventory_vm *inventory_foreign(struct inventory *inv,
    const uint8_t mac[6], const uint8_t addr[16], int in_nets, uint64_t now,
    uint64_t window_us, struct inventory_foreign **st);
/* The same for a packet that came from the VM on its interface ifname. */
const struct inventory_vm *inventory_foreign_iface(struct inventory *inv,
    const char *ifname, const uint8_t addr[16], int in_nets, uint64_t now,
    uint64_t window_us, struct inventory_foreign **st);

/* Bindings learned, and bindings that replaced an older one. */
uint64_t inventory_learned(const struct inventory *inv);
uint64_t inventory_replaced(const struct inventory *inv);

#endif
