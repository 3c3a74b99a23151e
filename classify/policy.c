/*
 * policy.c: the forbidden-protocol table. Names are nDPI's, as
 * ndpi_get_proto_name() prints them; the table lists names of newer nDPI
 * releases too, which resolve once Debian's nDPI knows them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi.h"
#include "policy.h"
#include "util.h"

struct policy {
	uint8_t *cat;		/* enum policy_category by protocol id */
	unsigned n;		/* protocol ids */
	unsigned resolved, missing;
};

static const struct {
	const char *name;
	enum policy_category cat;
} table[] = {
	/* Peer-to-peer file sharing. */
	{ "BitTorrent", CAT_P2P }, { "Gnutella", CAT_P2P }, { "eDonkey", CAT_P2P },
	{ "DirectConnect", CAT_P2P }, { "AppleJuice", CAT_P2P },
	{ "OpenFT", CAT_P2P }, { "FastTrack", CAT_P2P }, { "Thunder", CAT_P2P },
	{ "Stealthnet", CAT_P2P }, { "Aimini", CAT_P2P }, { "Soulseek", CAT_P2P },
	{ "Syncthing", CAT_P2P }, { "IPFS", CAT_P2P },
	/* Crypto-currency mining and node traffic. */
	{ "Mining", CAT_MINING }, { "Monero", CAT_MINING },
	{ "ETHEREUM", CAT_MINING }, { "BITCOIN", CAT_MINING }, { "Nano", CAT_MINING },
	/* Remote shells and desktops. */
	{ "SSH", CAT_REMOTE_ACCESS }, { "RDP", CAT_REMOTE_ACCESS },
	{ "VNC", CAT_REMOTE_ACCESS }, { "TeamViewer", CAT_REMOTE_ACCESS },
	{ "AnyDesk", CAT_REMOTE_ACCESS }, { "NoMachine", CAT_REMOTE_ACCESS },
	{ "Radmin", CAT_REMOTE_ACCESS }, { "Telnet", CAT_REMOTE_ACCESS },
	{ "RSH", CAT_REMOTE_ACCESS }, { "XDMCP", CAT_REMOTE_ACCESS },
	{ "Citrix", CAT_REMOTE_ACCESS },
	/* Proxies, VPNs, Tor and tunnels. */
	{ "SOCKS", CAT_PROXY }, { "HTTP_Proxy", CAT_PROXY },
	{ "HTTP_Connect", CAT_PROXY }, { "Tor", CAT_PROXY },
	{ "OpenVPN", CAT_PROXY }, { "WireGuard", CAT_PROXY }, { "IPsec", CAT_PROXY },
	{ "IPSec", CAT_PROXY }, { "PPTP", CAT_PROXY }, { "CiscoVPN", CAT_PROXY },
	{ "TINC", CAT_PROXY }, { "HotspotShield", CAT_PROXY },
	{ "Hotspot_Shield", CAT_PROXY }, { "FortiClient", CAT_PROXY },
	{ "Softether", CAT_PROXY }, { "Tailscale", CAT_PROXY },
	{ "UltraSurf", CAT_PROXY }, { "Psiphon", CAT_PROXY },
	{ "ProtonVPN", CAT_PROXY }, { "NordVPN", CAT_PROXY },
	{ "PrivateInternetAccess", CAT_PROXY }, { "SurfShark", CAT_PROXY },
	{ "Windscribe", CAT_PROXY }, { "TunnelBear", CAT_PROXY },
	{ "OperaVPN", CAT_PROXY }, { "CloudflareWarp", CAT_PROXY },
	{ "Mullvad", CAT_PROXY }, { "ShadowSocks", CAT_PROXY },
	{ "VMess", CAT_PROXY }, { "Trojan", CAT_PROXY },
};

struct policy *
policy_new(struct dpi *d, char *err, size_t errlen)
{
	struct policy *p;
	size_t i;

	p = xcalloc(1, sizeof(*p));
	p->n = dpi_proto_count(d);
	if (p->n == 0) {
		snprintf(err, errlen, "nDPI reports no protocols");
		free(p);
		return NULL;
	}
	p->cat = xcalloc(p->n, 1);
	for (i = 0; i < NELEM(table); i++) {
		int id = dpi_proto_id(d, table[i].name);

		if (id <= 0 || (unsigned)id >= p->n) {
			p->missing++;
			continue;
		}
		p->cat[id] = (uint8_t)table[i].cat;
		p->resolved++;
	}
	return p;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	free(p->cat);
	free(p);
}

enum policy_category
policy_proto(const struct policy *p, uint16_t id)
{
	return id < p->n ? (enum policy_category)p->cat[id] : CAT_NONE;
}

enum policy_category
policy_classify(const struct policy *p, uint16_t master, uint16_t app)
{
	enum policy_category c = policy_proto(p, app);

	return c != CAT_NONE ? c : policy_proto(p, master);
}

void
policy_coverage(const struct policy *p, unsigned *resolved, unsigned *missing)
{
	*resolved = p->resolved;
	*missing = p->missing;
}
