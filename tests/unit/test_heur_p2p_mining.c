/*
 * test_heur_p2p_mining.c: the mining and peer-to-peer heuristics on
 * messages written from each protocol's documented layout (Stratum v1,
 * XMRig's CryptoNote stratum, Ethereum getwork and stratum, Bitcoin P2P;
 * BitTorrent BEPs 3, 5, 14, 15 and 29, Gnutella 0.6 and Shareaza's GND
 * datagrams, eDonkey and Kad as eMule frames them, Soulseek's login and
 * peer init as nicotine-plus documents them, NMDC and ADC openings), on ordinary traffic
 * that must not match (JSON-RPC wallets and language servers, plain HTTP),
 * on every prefix of every positive, and on random payloads with a fixed
 * seed. Every packet is handed over in a heap copy of its exact size, so
 * a read past the end shows under AddressSanitizer.
 */
#include <check.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heur.h"
#include "suites.h"
#include "util.h"

#define TCP 6
#define UDP 17

/* A text literal as bytes and length. */
#define TXT(s) (const uint8_t *)(s), sizeof(s) - 1

typedef int (*heur_fn)(struct heur_flow *, const struct heur_pkt *,
    struct heur_hit *);

/* Feeds one packet, from a heap copy of exactly len bytes. */
static int
feed(heur_fn fn, struct heur_flow *st, uint8_t proto, int dir,
    const uint8_t *data, size_t len, struct heur_hit *hit)
{
	struct heur_pkt p;
	uint8_t *copy;
	int r;

	copy = malloc(len > 0 ? len : 1);
	ck_assert_ptr_nonnull(copy);
	if (len > 0)
		memcpy(copy, data, len);
	memset(&p, 0, sizeof(p));
	p.data = copy;
	p.len = len;
	p.dir = dir;
	p.proto = proto;
	p.sport = 40000;
	p.dport = 6881;
	memset(hit, 0, sizeof(*hit));
	r = fn(st, &p, hit);
	free(copy);
	if (r) {
		/* Any hit is well-formed. */
		ck_assert_ptr_nonnull(hit->name);
		ck_assert(hit->confidence > CONF_NONE &&
		    hit->confidence < CONF_N);
		ck_assert(memchr(hit->detail, '\0', sizeof(hit->detail)) !=
		    NULL);
	}
	return r;
}

/* One packet into a fresh flow. */
static int
feed1(heur_fn fn, uint8_t proto, const uint8_t *data, size_t len,
    struct heur_hit *hit)
{
	struct heur_flow st;

	memset(&st, 0, sizeof(st));
	return feed(fn, &st, proto, 0, data, len, hit);
}

#define EXPECT_HIT(r, h, cat, conf, nm, det) do {			\
	ck_assert_msg((r) == 1, "no hit, expected %s", (nm));		\
	ck_assert_int_eq((h).category, (cat));				\
	ck_assert_int_eq((h).confidence, (conf));			\
	ck_assert_str_eq((h).name, (nm));				\
	if ((det) != NULL)						\
		ck_assert_str_eq((h).detail, (const char *)(det));	\
} while (0)

#define EXPECT_MISS(r, h) \
	ck_assert_msg((r) == 0, "unexpected hit %s (%s)", \
	    (h).name != NULL ? (h).name : "?", (h).detail)

/* ---- payloads ---- */

/* Stratum v1 as cgminer and slush's pool speak it. */
static const char stratum_subscribe[] =
    "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": "
    "[\"cgminer/4.10.0\"]}\n";
static const char stratum_authorize[] =
    "{\"id\": 2, \"method\": \"mining.authorize\", \"params\": "
    "[\"slush.miner1\", \"password\"]}\n";
static const char stratum_subscribe_reply[] =
    "{\"id\": 1, \"result\": [ [ [\"mining.set_difficulty\", "
    "\"b4b6693b72a50c7116db18d6497cac52\"], [\"mining.notify\", "
    "\"ae6812eb4cd7735a302a8a9dd95cf71f\"]], \"08000002\", 4], "
    "\"error\": null}\n";
static const char stratum_notify[] =
    "{\"params\": [\"bf\", \"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0"
    "440b921e00000000\", \"01000000010000000000000000000000000000000000000"
    "000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008"
    "\", \"072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e7"
    "56a64a7a9688ef9903327048ed988ac00000000\", [], \"00000002\", "
    "\"1c2ac4af\", \"504e86b9\", false], \"id\": null, \"method\": "
    "\"mining.notify\"}\n";
static const char stratum_set_difficulty[] =
    "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[2048]}\n";
static const char stratum_submit[] =
    "{\"params\": [\"slush.miner1\", \"bf\", \"00000001\", \"504e86ed\", "
    "\"b2957c02\"], \"id\": 4, \"method\": \"mining.submit\"}\n";
static const char stratum_configure[] =
    "{\"method\": \"mining.configure\", \"id\": 1, \"params\": "
    "[[\"minimum-difficulty\", \"version-rolling\"], "
    "{\"minimum-difficulty.value\": 2048, \"version-rolling.mask\": "
    "\"1fffe000\", \"version-rolling.min-bit-count\": 2}]}\n";
static const char stratum_extranonce[] =
    "{\"id\": 3, \"method\": \"mining.extranonce.subscribe\", "
    "\"params\": []}\n";

/* Ethereum. */
static const char eth_subscribe[] =
    "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": "
    "[\"ethminer/0.19.0\", \"EthereumStratum/1.0.0\"]}\n";
static const char eth_hello[] =
    "{\"id\":0,\"method\":\"mining.hello\",\"params\":{\"agent\":"
    "\"ethminer-0.19.0\",\"host\":\"eu1.ethermine.org\",\"port\":\"4444\","
    "\"proto\":\"EthereumStratum/2.0.0\"}}\n";
static const char eth_submit_login[] =
    "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitLogin\",\"params\":"
    "[\"0xb85150eb365e7df0941f0cf08235f987ba91506a\",\"x\"],"
    "\"worker\":\"rig1\"}\n";
static const char eth_getwork_http[] =
    "POST / HTTP/1.1\r\nHost: 10.0.0.5:8545\r\nContent-Type: "
    "application/json\r\nContent-Length: 60\r\n\r\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\",\"params\":[],\"id\":73}";
static const char eth_submit_work[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"eth_submitWork\",\"params\":["
    "\"0x0000000000000001\",\"0x1234567890abcdef1234567890abcdef1234567890"
    "abcdef1234567890abcdef\",\"0xd1fe5700000000000000000000000000d1fe5700"
    "000000000000000000000000\"],\"id\":73}";

/* XMRig 6.19 against a Monero pool. */
#define XMR_WALLET "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3Xjrp" \
    "DtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
static const char xmrig_login[] =
    "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":"
    "\"" XMR_WALLET "\",\"pass\":\"x\",\"agent\":\"XMRig/6.19.0 (Linux x86_64)"
    " libuv/1.44.2 gcc/12.2.0\",\"algo\":[\"cn/1\",\"cn/2\",\"cn/r\","
    "\"cn/fast\",\"cn/half\",\"cn/xao\",\"cn/rto\",\"cn/rwz\",\"cn/zls\","
    "\"cn/double\",\"cn/ccx\",\"cn-lite/1\",\"cn-heavy/0\",\"cn-heavy/tube\","
    "\"cn-heavy/xhv\",\"cn-pico\",\"cn-pico/tlo\",\"cn/upx2\",\"rx/0\","
    "\"rx/wow\",\"rx/arq\",\"rx/graft\",\"rx/sfx\",\"rx/keva\","
    "\"argon2/chukwa\",\"argon2/chukwav2\",\"argon2/ninja\",\"astrobwt\","
    "\"astrobwt/v2\",\"ghostrider\"]}}\n";
static const char xmrig_login_reply[] =
    "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":"
    "\"a8e5a7b3-4f1c-4c36-9d65-1c2e2a0b5f11\",\"job\":{\"blob\":"
    "\"1010c1f0c3a106b2d6f2c8e0b7f1a3d2c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2"
    "d1e0000000005f3e2d1c0b0a09080706050403020100ffeeddccbbaa9988776655443"
    "32211000102\",\"job_id\":\"Jz0u1Ea3KrZ0ShGjE0aEmGBT2h3Z\",\"target\":"
    "\"b88d0600\",\"algo\":\"rx/0\",\"height\":3012345,\"seed_hash\":"
    "\"a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b5\"},"
    "\"extensions\":[\"algo\",\"nicehash\",\"connect\",\"tls\",\"keepalive\"],"
    "\"status\":\"OK\"}}\n";
static const char xmrig_submit[] =
    "{\"id\":2,\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":"
    "\"a8e5a7b3-4f1c-4c36-9d65-1c2e2a0b5f11\",\"job_id\":"
    "\"Jz0u1Ea3KrZ0ShGjE0aEmGBT2h3Z\",\"nonce\":\"a0170000\",\"result\":"
    "\"e1364b8782719d7683e2ccd3d8f724bc59dfa780a9e960e7c0e0046acdb40100\","
    "\"algo\":\"rx/0\"}}\n";
static const char xmrig_job[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"blob\":"
    "\"1010c1f0c3a106b2d6f2c8e0b7f1a3d2c9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2"
    "d1e0000000005f3e2d1c0b0a09080706050403020100ffeeddccbbaa9988776655443"
    "32211000102\",\"job_id\":\"Kq1v2Fb4LsA1TiHkF1bFnHCU3i4A\",\"target\":"
    "\"b88d0600\",\"id\":\"a8e5a7b3-4f1c-4c36-9d65-1c2e2a0b5f11\","
    "\"height\":3012346,\"algo\":\"rx/0\"}}\n";
/* xmr-stak style: no agent, but a Monero address as the login. */
static const char xmr_login_wallet[] =
    "{\"method\":\"login\",\"params\":{\"login\":\"" XMR_WALLET ".rig7\","
    "\"pass\":\"x\"},\"id\":1}\n";
static const char xmr_login_plain[] =
    "{\"method\":\"login\",\"params\":{\"login\":\"alice\",\"pass\":\"x\"},"
    "\"id\":1}\n";

/* Solo mining against a node's JSON-RPC. */
static const char gbt_http[] =
    "POST / HTTP/1.1\r\nHost: 127.0.0.1:8332\r\nAuthorization: Basic "
    "dXNlcjpwYXNz\r\nContent-Type: text/plain\r\nContent-Length: 98\r\n\r\n"
    "{\"jsonrpc\":\"1.0\",\"id\":\"cpuminer\",\"method\":\"getblocktemplate\","
    "\"params\":[{\"rules\":[\"segwit\"]}]}";
static const char monero_gbt[] =
    "{\"jsonrpc\":\"2.0\",\"id\":\"0\",\"method\":\"get_block_template\","
    "\"params\":{\"wallet_address\":\"" XMR_WALLET "\",\"reserve_size\":60}}";

/* JSON-RPC that is not mining. */
static const char rpc_eth_block_number[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],"
    "\"id\":83}";
static const char rpc_eth_block_number_http[] =
    "POST / HTTP/1.1\r\nHost: mainnet.infura.io\r\nContent-Type: "
    "application/json\r\nContent-Length: 64\r\n\r\n"
    "{\"jsonrpc\":\"2.0\",\"method\":\"eth_blockNumber\",\"params\":[],"
    "\"id\":83}";
static const char rpc_lsp_initialize[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
    "{\"processId\":4242,\"rootUri\":\"file:///home/jovyan/work\","
    "\"capabilities\":{\"textDocument\":{\"hover\":{\"contentFormat\":"
    "[\"markdown\",\"plaintext\"]}}},\"trace\":\"off\"}}";
static const char rpc_lsp_framed[] =
    "Content-Length: 97\r\n\r\n"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
    "{\"processId\":4242,\"capabilities\":{}}}";
static const char rpc_login_user[] =
    "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"user\":"
    "\"alice\",\"password\":\"hunter2\"}}\n";
static const char rpc_nested_method[] =
    "{\"id\":1,\"params\":{\"method\":\"mining.subscribe\"},"
    "\"method\":\"log.write\"}\n";
static const char rpc_method_as_value[] =
    "{\"id\":1,\"method\":\"log\",\"params\":[\"mining.subscribe\", "
    "\"mining.authorize\"]}\n";
static const char rpc_method_in_string[] =
    "{\"note\":\"{\\\"method\\\":\\\"mining.authorize\\\"}\",\"id\":2}\n";
static const char rpc_method_in_array[] =
    "{\"id\":1,\"list\":[\"method\",\"mining.submit\"]}\n";
static const char rpc_submit_form[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"form\":"
    "\"contact\",\"email\":\"a@b.c\"},\"id\":9}";
static const char rpc_job_plain[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"name\":\"build\","
    "\"target\":\"x86_64\"},\"id\":9}";
static const char rpc_hello_plain[] =
    "{\"id\":0,\"method\":\"mining.hello\",\"params\":{\"agent\":\"x\"}}";

/* BitTorrent. */
static const char tracker_announce[] =
    "GET /announce?info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A"
    "&peer_id=-TR3000-k8hj0wgej6ch&port=51413&uploaded=0&downloaded=0"
    "&left=0&numwant=80&key=3a1b5c7d&compact=1&supportcrypto=1"
    "&event=started HTTP/1.1\r\nHost: tracker.example.org:6969\r\n"
    "User-Agent: Transmission/3.00\r\nAccept: */*\r\n\r\n";
static const char tracker_passkey[] =
    "GET /9f8e7d6c5b4a39281706f5e4d3c2b1a0/announce.php?passkey=9f8e7d6c5b4a3"
    "9281706f5e4d3c2b1a0&info_hash=%EA%8B%B1%90i%97%D0%F9%27%81%EA%1B%D6%"
    "0B%DB%A0%AF%8A%E8%3A&peer_id=-qB4520-abcdefghijkl&port=8999 HTTP/1.1\r\n"
    "Host: tracker.example.net\r\n\r\n";
static const char tracker_scrape[] =
    "GET /scrape?info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A "
    "HTTP/1.0\r\n\r\n";
static const char http_announce_no_hash[] =
    "GET /announce?foo=bar&page=2 HTTP/1.1\r\nHost: news.example.com\r\n\r\n";
static const char http_plain_get[] =
    "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
    "User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
static const char http_hash_elsewhere[] =
    "GET /search?q=info_hash%3Dabc&info_hash=abc HTTP/1.1\r\n\r\n";
static const char http_hash_in_value[] =
    "GET /announce?q=xinfo_hash=abc HTTP/1.1\r\n\r\n";

static const char dht_ping[] =
    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
static const char dht_get_peers[] =
    "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e"
    "1:q9:get_peers1:t2:aa1:y1:qe";
static const char dht_response[] =
    "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
/* BEP 42 puts "ip" first; BEP 44's put has "cas" before "id". */
static const char dht_response_ip[] =
    "d2:ip6:\x0a\x00\x00\x05\x1a\xe1" "1:rd2:id20:mnopqrstuvwxyz1234565:nodes"
    "26:abcdefghij0123456789\x0a\x00\x00\x07\x1a\xe1" "e1:t2:aa1:y1:re";
static const char dht_put[] =
    "d1:ad3:casi4e2:id20:abcdefghij01234567893:seqi5e5:token8:aoeusnth"
    "1:v5:helloe1:q3:put1:t2:zz1:y1:qe";
static const char dht_error[] =
    "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";
static const char dht_bad_id[] =
    "d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe";
static const char dht_unknown_q[] =
    "d1:ad2:id20:abcdefghij0123456789e1:q5:vote!1:t2:aa1:y1:qe";
static const char bencode_other[] = "d3:foo3:bar4:spaml1:a1:bee";

static const char lsd_search[] =
    "BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: 6881\r\n"
    "Infohash: 123456789abcdef0123456789abcdef012345678\r\n"
    "cookie: 3a1b5c7d\r\n\r\n\r\n";

/* Gnutella. */
static const char gnutella_connect[] =
    "GNUTELLA CONNECT/0.6\r\nUser-Agent: LimeWire/4.18.8\r\n"
    "X-Ultrapeer: False\r\nX-Query-Routing: 0.1\r\n\r\n";
static const char gnutella_ok[] =
    "GNUTELLA/0.6 200 OK\r\nUser-Agent: gtk-gnutella/1.2.2\r\n"
    "X-Ultrapeer: True\r\n\r\n";
static const char gnutella_bad_status[] = "GNUTELLA/0.6 OK\r\n\r\n";

/* ---- binary builders ---- */

static size_t
put_le16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
	return off + 2;
}

static size_t
put_le32(uint8_t *b, size_t off, uint32_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
	b[off + 2] = (uint8_t)(v >> 16);
	b[off + 3] = (uint8_t)(v >> 24);
	return off + 4;
}

static size_t
put_be16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)(v >> 8);
	b[off + 1] = (uint8_t)v;
	return off + 2;
}

static size_t
put_be32(uint8_t *b, size_t off, uint32_t v)
{
	b[off] = (uint8_t)(v >> 24);
	b[off + 1] = (uint8_t)(v >> 16);
	b[off + 2] = (uint8_t)(v >> 8);
	b[off + 3] = (uint8_t)v;
	return off + 4;
}

static size_t
put_bytes(uint8_t *b, size_t off, const void *src, size_t n)
{
	memcpy(b + off, src, n);
	return off + n;
}

/* A Bitcoin "version" message (protocol 70016, Bitcoin Core 25.0) after
 * the given network magic. */
static size_t
build_btc_version(uint8_t *b, const uint8_t magic[4])
{
	static const char ua[] = "/Satoshi:25.0.0/";
	size_t off = 0, plen;

	off = put_bytes(b, off, magic, 4);
	memset(b + off, 0, 12);
	memcpy(b + off, "version", 7);
	off += 12;
	plen = 4 + 8 + 8 + 26 + 26 + 8 + 1 + (sizeof(ua) - 1) + 4 + 1;
	off = put_le32(b, off, (uint32_t)plen);
	off = put_bytes(b, off, "\0\0\0\0", 4);	/* checksum, below */
	off = put_le32(b, off, 70016);
	off = put_le32(b, off, 0x409);	/* NODE_NETWORK|WITNESS|LIMITED */
	off = put_le32(b, off, 0);
	off = put_le32(b, off, 1700000000);
	off = put_le32(b, off, 0);
	memset(b + off, 0, 26);		/* addr_recv */
	off += 26;
	memset(b + off, 0, 26);		/* addr_from */
	off += 26;
	off = put_bytes(b, off, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	b[off++] = sizeof(ua) - 1;
	off = put_bytes(b, off, ua, sizeof(ua) - 1);
	off = put_le32(b, off, 820000);	/* start height */
	b[off++] = 1;			/* relay */
	/* the checksum: SHA-256d of the payload, its first four bytes */
	{
		uint8_t h1[32], h2[32];

		SHA256(b + 24, plen, h1);
		SHA256(h1, 32, h2);
		memcpy(b + 20, h2, 4);
	}
	return off;
}

static const uint8_t btc_mainnet[4] = { 0xf9, 0xbe, 0xb4, 0xd9 };
static const uint8_t btc_signet[4] = { 0x0a, 0x03, 0xcf, 0x40 };

/* BEP 3 handshake: qBittorrent 4.5.2 asking for one torrent. */
static size_t
build_bt_handshake(uint8_t *b)
{
	size_t off = 0;

	b[off++] = 19;
	off = put_bytes(b, off, "BitTorrent protocol", 19);
	off = put_bytes(b, off, "\x00\x00\x00\x00\x00\x10\x00\x05", 8);
	off = put_bytes(b, off, "\x12\x34\x56\x78\x9a\xbc\xde\xf1\x23\x45"
	    "\x67\x89\xab\xcd\xef\x12\x34\x56\x78\x9a", 20);
	off = put_bytes(b, off, "-qB4520-k8hj0wgej6ch", 20);
	return off;
}

/* BEP 15 connect request. */
static size_t
build_udp_tracker_connect(uint8_t *b)
{
	size_t off = 0;

	off = put_be32(b, off, 0x417);
	off = put_be32(b, off, 0x27101980);
	off = put_be32(b, off, 0);		/* action: connect */
	off = put_be32(b, off, 0x5c3a19f7);	/* transaction id */
	return off;
}

/* BEP 29 header. */
static size_t
build_utp(uint8_t *b, unsigned type, uint8_t ext, uint16_t conn_id,
    uint16_t seq, uint16_t ack)
{
	size_t off = 0;

	b[off++] = (uint8_t)(type << 4 | 1);
	b[off++] = ext;
	off = put_be16(b, off, conn_id);
	off = put_be32(b, off, 0x1d2e3f40);	/* timestamp_microseconds */
	off = put_be32(b, off, 0);		/* timestamp_difference */
	off = put_be32(b, off, 0x100000);	/* wnd_size */
	off = put_be16(b, off, seq);
	off = put_be16(b, off, ack);
	return off;
}

/* A Gnutella descriptor: LimeWire marks its GUIDs with byte 8 0xff and
 * byte 15 0. */
static size_t
build_gnutella(uint8_t *b, uint8_t type, uint8_t ttl, uint8_t hops,
    const void *payload, size_t plen)
{
	size_t off = 0;

	off = put_bytes(b, off, "\x5a\x17\x0c\x93\x4e\x21\xb8\x66\xff\x3d"
	    "\x72\x0e\x91\xc4\x2a\x00", 16);
	b[off++] = type;
	b[off++] = ttl;
	b[off++] = hops;
	off = put_le32(b, off, (uint32_t)plen);
	return put_bytes(b, off, payload, plen);
}

/* Shareaza GND header, then a G2 "PI" (ping) packet: control byte 0x08
 * (no length, 2-byte name). */
static size_t
build_gnd(uint8_t *b, uint8_t flags, uint16_t seq, uint8_t part,
    uint8_t count, int with_packet)
{
	size_t off = 0;

	off = put_bytes(b, off, "GND", 3);
	b[off++] = flags;
	off = put_le16(b, off, seq);
	b[off++] = part;
	b[off++] = count;
	if (with_packet)
		off = put_bytes(b, off, "\x08PI", 3);
	return off;
}

/* eMule 0.50a's OP_HELLO (with the hash size byte) or OP_HELLOANSWER. */
static size_t
build_ed2k_hello(uint8_t *b, uint8_t proto, uint8_t opcode)
{
	static const char nick[] = "http://emule-project.net";
	size_t off = 0, body;

	b[off++] = proto;
	off += 4;			/* length, below */
	body = off;
	b[off++] = opcode;
	if (opcode == 0x01)
		b[off++] = 16;		/* hash size */
	off = put_bytes(b, off, "\x8a\x3f\x11\x72\x0c\x0e\x6f\x51\x9d\x0c"
	    "\xa2\x41\x5e\x6f\x6f\x77", 16);	/* user hash */
	off = put_le32(b, off, 0x0a000005);	/* client id */
	off = put_le16(b, off, 4662);		/* TCP port */
	off = put_le32(b, off, 2);		/* tag count */
	/* CT_NAME: string, old-style one-byte name */
	b[off++] = 0x02;
	off = put_le16(b, off, 1);
	b[off++] = 0x01;
	off = put_le16(b, off, sizeof(nick) - 1);
	off = put_bytes(b, off, nick, sizeof(nick) - 1);
	/* CT_VERSION: uint32 0x3c */
	b[off++] = 0x03;
	off = put_le16(b, off, 1);
	b[off++] = 0x11;
	off = put_le32(b, off, 0x3c);
	off = put_le32(b, off, 0);		/* server ip */
	off = put_le16(b, off, 0);		/* server port */
	put_le32(b, 1, (uint32_t)(off - body));
	return off;
}

/* KADEMLIA2_HELLO_REQ with TAG_KADMISCOPTIONS (compact uint8 tag). */
static size_t
build_kad_hello(uint8_t *b)
{
	size_t off = 0;

	b[off++] = 0xe4;
	b[off++] = 0x11;
	off = put_bytes(b, off, "\x31\x9a\x0f\x44\x2b\xc0\x7e\x18\x65\xd3"
	    "\x0a\x9b\x5c\x2e\x71\x04", 16);
	off = put_le16(b, off, 4662);
	b[off++] = 8;			/* Kad version */
	b[off++] = 1;			/* tag count */
	b[off++] = 0x89;
	b[off++] = 0xf2;
	b[off++] = 0x04;
	return off;
}

/* KADEMLIA2_BOOTSTRAP_RES: the sender, then one contact. */
static size_t
build_kad_bootstrap_res(uint8_t *b)
{
	size_t off = 0;

	b[off++] = 0xe4;
	b[off++] = 0x09;
	memset(b + off, 0x31, 16);	/* Kad id */
	off += 16;
	off = put_le16(b, off, 4662);	/* TCP port */
	b[off++] = 8;			/* Kad version */
	off = put_le16(b, off, 1);	/* contacts */
	memset(b + off, 0x7a, 16);	/* contact id */
	off += 16;
	off = put_bytes(b, off, "\x05\x00\x00\x0a", 4);
	off = put_le16(b, off, 4672);	/* UDP port */
	off = put_le16(b, off, 4662);	/* TCP port */
	b[off++] = 8;
	return off;
}

/* KADEMLIA2_REQ: type, target, receiver. */
static size_t
build_kad_req(uint8_t *b)
{
	size_t off = 0;

	b[off++] = 0xe4;
	b[off++] = 0x21;
	b[off++] = 0x0b;		/* KADEMLIA_FIND_NODE */
	memset(b + off, 0x5e, 32);
	return off + 32;
}

/* ---- mining ---- */

START_TEST(stratum_v1)
{
	struct heur_flow st;
	struct heur_hit h;
	char both[sizeof(stratum_subscribe) + sizeof(stratum_authorize)];
	int r;

	/* subscribe alone is medium; authorize then rises to high */
	memset(&st, 0, sizeof(st));
	r = feed(heur_mining, &st, TCP, 0, TXT(stratum_subscribe), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_MEDIUM, "stratum",
	    "mining.subscribe agent=cgminer/4.10.0");
	r = feed(heur_mining, &st, TCP, 0, TXT(stratum_authorize), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.authorize worker=slush.miner1");
	/* once high, the flow is not reported again */
	r = feed(heur_mining, &st, TCP, 0, TXT(stratum_authorize), &h);
	EXPECT_MISS(r, h);

	/* cgminer sends both lines in one segment */
	snprintf(both, sizeof(both), "%s%s", stratum_subscribe,
	    stratum_authorize);
	r = feed1(heur_mining, TCP, (const uint8_t *)both, strlen(both), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.authorize worker=slush.miner1");

	/* the pool's reply to a subscribe completes it */
	memset(&st, 0, sizeof(st));
	r = feed(heur_mining, &st, TCP, 0, TXT(stratum_subscribe), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_MEDIUM, "stratum", NULL);
	r = feed(heur_mining, &st, TCP, 1, TXT(stratum_subscribe_reply), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.subscribe answered");
	/* ... but a reply alone is any JSON-RPC reply */
	r = feed1(heur_mining, TCP, TXT(stratum_subscribe_reply), &h);
	EXPECT_MISS(r, h);

	r = feed1(heur_mining, TCP, TXT(stratum_notify), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum", "mining.notify");
	r = feed1(heur_mining, TCP, TXT(stratum_set_difficulty), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.set_difficulty");
	r = feed1(heur_mining, TCP, TXT(stratum_submit), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.submit worker=slush.miner1");
	r = feed1(heur_mining, TCP, TXT(stratum_configure), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum", "mining.configure");
	r = feed1(heur_mining, TCP, TXT(stratum_extranonce), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.extranonce.subscribe");

	/* Stratum is TCP only */
	r = feed1(heur_mining, UDP, TXT(stratum_authorize), &h);
	EXPECT_MISS(r, h);
}
END_TEST

START_TEST(stratum_worker_detail)
{
	static const char long_worker[] =
	    "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"bc1qxy2kgd"
	    "ygjrsqtzq2n0yrf2493p83kkfjhx0wlh.rig-with-a-long-name\\u0001\","
	    "\"x\"]}\n";
	static const char odd_worker[] =
	    "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"a\x01\x7f"
	    "b\",\"x\"]}\n";
	struct heur_hit h;
	int r;

	r = feed1(heur_mining, TCP, TXT(long_worker), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.authorize worker=bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0w");
	r = feed1(heur_mining, TCP, TXT(odd_worker), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "stratum",
	    "mining.authorize worker=a??b");
}
END_TEST

START_TEST(xmrig)
{
	struct heur_flow st;
	struct heur_hit h;
	int r;

	r = feed1(heur_mining, TCP, TXT(xmrig_login), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "monero-stratum",
	    "login agent=XMRig/6.19.0 (Linux x86_64) libuv/1.44.2");
	r = feed1(heur_mining, TCP, TXT(xmrig_login_reply), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "monero-stratum",
	    "login result with job");
	r = feed1(heur_mining, TCP, TXT(xmrig_submit), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "monero-stratum",
	    "submit job_id nonce");
	r = feed1(heur_mining, TCP, TXT(xmrig_job), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "monero-stratum",
	    "job blob target");
	r = feed1(heur_mining, TCP, TXT(xmr_login_wallet), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "monero-stratum", NULL);
	ck_assert(strncmp(h.detail, "login user=44AFFq5k", 19) == 0);
	r = feed1(heur_mining, TCP, TXT(xmr_login_plain), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_MEDIUM, "monero-stratum",
	    "login user=alice");

	/* a whole session: login, then the reply adds nothing new */
	memset(&st, 0, sizeof(st));
	r = feed(heur_mining, &st, TCP, 0, TXT(xmrig_login), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "monero-stratum", NULL);
	r = feed(heur_mining, &st, TCP, 1, TXT(xmrig_login_reply), &h);
	EXPECT_MISS(r, h);
}
END_TEST

START_TEST(ethereum)
{
	struct heur_hit h;
	int r;

	r = feed1(heur_mining, TCP, TXT(eth_subscribe), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "eth-stratum",
	    "mining.subscribe agent=ethminer/0.19.0");
	r = feed1(heur_mining, TCP, TXT(eth_hello), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "eth-stratum", "mining.hello");
	r = feed1(heur_mining, TCP, TXT(eth_submit_login), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "eth-stratum",
	    "eth_submitLogin login=0xb85150eb365e7df0941f0cf08235f987ba9150");
	r = feed1(heur_mining, TCP, TXT(eth_getwork_http), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "eth-getwork", "eth_getWork");
	r = feed1(heur_mining, TCP, TXT(eth_submit_work), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "eth-getwork",
	    "eth_submitWork");
}
END_TEST

START_TEST(solo_rpc)
{
	struct heur_hit h;
	int r;

	r = feed1(heur_mining, TCP, TXT(gbt_http), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_MEDIUM, "getblocktemplate",
	    "getblocktemplate");
	r = feed1(heur_mining, TCP, TXT(monero_gbt), &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "getblocktemplate",
	    "get_block_template wallet_address");
}
END_TEST

START_TEST(bitcoin)
{
	uint8_t b[160];
	struct heur_hit h;
	size_t n;
	int r;

	n = build_btc_version(b, btc_mainnet);
	ck_assert_uint_eq(n, 24 + 102);
	r = feed1(heur_node, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Bitcoin peer-to-peer 'version' message (checksum verified, "
	    "magic f9beb4d9)");
	/* signet's magic starts with a newline byte */
	n = build_btc_version(b, btc_signet);
	r = feed1(heur_node, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Bitcoin signet peer-to-peer 'version' message (checksum "
	    "verified, magic 0a03cf40)");
	/* any coin of the family: the checksum decides, not the magic */
	n = build_btc_version(b, (const uint8_t *)"\x12\x34\x56\x78");
	r = feed1(heur_node, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Bitcoin-family peer-to-peer 'version' message (checksum "
	    "verified, magic 12345678)");
	/* a header alone (verack has no payload: SHA-256d of nothing) */
	r = feed1(heur_node, TCP, (const uint8_t *)"\xf9\xbe\xb4\xd9"
	    "verack\0\0\0\0\0\0\0\0\0\0\x5d\xf6\xe0\xe2", 24, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node", NULL);
	/* a message the segment cuts: a known magic is medium */
	n = build_btc_version(b, btc_mainnet);
	r = feed1(heur_node, TCP, b, 60, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_MEDIUM, "crypto-node",
	    "Bitcoin peer-to-peer 'version' message");
	n = build_btc_version(b, (const uint8_t *)"\x12\x34\x56\x78");
	r = feed1(heur_node, TCP, b, 60, &h);
	EXPECT_MISS(r, h);

	/* a wrong checksum, not a command (upper case, bytes after the
	 * NUL), too long */
	n = build_btc_version(b, btc_mainnet);
	b[21] ^= 1;
	r = feed1(heur_node, TCP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_btc_version(b, btc_mainnet);
	b[4] = 'V';
	r = feed1(heur_node, TCP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_btc_version(b, btc_mainnet);
	b[13] = 'x';
	r = feed1(heur_node, TCP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_btc_version(b, btc_mainnet);
	put_le32(b, 16, 0x7fffffff);
	r = feed1(heur_node, TCP, b, n, &h);
	EXPECT_MISS(r, h);
	/* Bitcoin P2P is TCP */
	n = build_btc_version(b, btc_mainnet);
	r = feed1(heur_node, UDP, b, n, &h);
	EXPECT_MISS(r, h);
}
END_TEST

/* The arithmetic the node checks rest on, against published values:
 * Keccak-256 of "", "abc" and a 512-byte input (several blocks), and
 * secp256k1's generator G and 2G (SEC 2 section 2.4.1). */
static const uint8_t secp_g[64] = {
	0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55, 0xa0, 0x62, 0x95,
	0xce, 0x87, 0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb, 0x2d, 0xce, 0x28, 0xd9,
	0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17, 0x98,
	0x48, 0x3a, 0xda, 0x77, 0x26, 0xa3, 0xc4, 0x65, 0x5d, 0xa4, 0xfb, 0xfc,
	0x0e, 0x11, 0x08, 0xa8, 0xfd, 0x17, 0xb4, 0x48, 0xa6, 0x85, 0x54, 0x19,
	0x9c, 0x47, 0xd0, 0x8f, 0xfb, 0x10, 0xd4, 0xb8,
};
static const uint8_t secp_2g[64] = {
	0xc6, 0x04, 0x7f, 0x94, 0x41, 0xed, 0x7d, 0x6d, 0x30, 0x45, 0x40, 0x6e,
	0x95, 0xc0, 0x7c, 0xd8, 0x5c, 0x77, 0x8e, 0x4b, 0x8c, 0xef, 0x3c, 0xa7,
	0xab, 0xac, 0x09, 0xb9, 0x5c, 0x70, 0x9e, 0xe5,
	0x1a, 0xe1, 0x68, 0xfe, 0xa6, 0x3d, 0xc3, 0x39, 0xa3, 0xc5, 0x84, 0x19,
	0x46, 0x6c, 0xea, 0xee, 0xf7, 0xf6, 0x32, 0x65, 0x32, 0x66, 0xd0, 0xe1,
	0x23, 0x64, 0x31, 0xa9, 0x50, 0xcf, 0xe5, 0x2a,
};

static void
hex_of(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

START_TEST(node_arithmetic)
{
	uint8_t h[32], big[512], pt[64];
	char hex[65];
	size_t i;

	heur_keccak256((const uint8_t *)"", 0, h);
	hex_of(h, 32, hex);
	ck_assert_str_eq(hex,
	    "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	heur_keccak256((const uint8_t *)"abc", 3, h);
	hex_of(h, 32, hex);
	ck_assert_str_eq(hex,
	    "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	heur_keccak256(big, sizeof(big), h);
	hex_of(h, 32, hex);
	ck_assert_str_eq(hex,
	    "f55ba327291604f0e5be6651752398b7be2331aad65f5763ce067df95cc13be1");

	ck_assert(heur_secp256k1_point(secp_g));
	ck_assert(heur_secp256k1_point(secp_2g));
	memcpy(pt, secp_g, 64);
	pt[63] ^= 1;
	ck_assert(!heur_secp256k1_point(pt));
	memset(pt, 0xff, 64);		/* x, y >= p */
	ck_assert(!heur_secp256k1_point(pt));
	memset(pt, 0, 64);
	ck_assert(!heur_secp256k1_point(pt));
}
END_TEST

/* A Levin header (epee levin_base.h) with the given command and flags. */
static size_t
build_levin(uint8_t *b, uint32_t cmd, uint32_t flags, size_t body)
{
	size_t off = 0;

	off = put_bytes(b, off, "\x01\x21\x01\x01\x01\x01\x01\x01", 8);
	off = put_le32(b, off, (uint32_t)body);
	off = put_le32(b, off, 0);
	b[off++] = flags == 1;		/* have_to_return */
	off = put_le32(b, off, cmd);
	off = put_le32(b, off, 0);	/* return code */
	off = put_le32(b, off, flags);
	off = put_le32(b, off, 1);	/* protocol version */
	memset(b + off, 0x5a, body);
	return off + body;
}

START_TEST(crypto_nodes)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t b[400];
	size_t n;
	int r;

	/* Levin: a handshake request, then its response from the peer. */
	memset(&st, 0, sizeof(st));
	n = build_levin(b, 1001, 1, 200);
	r = feed(heur_node, &st, TCP, 0, b, n, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_MEDIUM, "crypto-node",
	    "Monero Levin handshake request");
	n = build_levin(b, 1001, 2, 300);
	r = feed(heur_node, &st, TCP, 1, b, n, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Monero Levin handshake response, answered in kind");
	/* not Levin: an unknown command, version 2, both flag bits */
	n = build_levin(b, 4242, 1, 10);
	EXPECT_MISS(feed1(heur_node, TCP, b, n, &h), h);
	n = build_levin(b, 1001, 1, 10);
	b[29] = 2;
	EXPECT_MISS(feed1(heur_node, TCP, b, n, &h), h);
	n = build_levin(b, 1001, 3, 10);
	EXPECT_MISS(feed1(heur_node, TCP, b, n, &h), h);

	/* RLPx: an EIP-8 auth whose ECIES key is a curve point; the same
	 * bytes with a key off the curve are nothing. */
	memset(b, 0xa5, sizeof(b));
	b[0] = 0x01;
	b[1] = 0x8e;			/* 398 bytes follow */
	b[2] = 0x04;
	memcpy(b + 3, secp_2g, 64);
	r = feed1(heur_node, TCP, b, 400, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Ethereum RLPx auth (EIP-8): ECIES with a secp256k1 key");
	b[40] ^= 1;
	EXPECT_MISS(feed1(heur_node, TCP, b, 400, &h), h);
	/* legacy: 307 bytes, 0x04 first */
	memset(b, 0x3c, sizeof(b));
	b[0] = 0x04;
	memcpy(b + 1, secp_g, 64);
	r = feed1(heur_node, TCP, b, 307, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Ethereum RLPx auth: ECIES with a secp256k1 key");
	EXPECT_MISS(feed1(heur_node, TCP, b, 306, &h), h);

	/* discv4: a ping whose hash covers the rest. */
	memset(b, 0x77, sizeof(b));
	b[97] = 1;			/* ping */
	b[98] = 0xd0;			/* an RLP list */
	heur_keccak256(b + 32, 160 - 32, b);
	r = feed1(heur_node, UDP, b, 160, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Ethereum discovery v4 ping (keccak-256 packet hash verified)");
	b[120] ^= 1;
	EXPECT_MISS(feed1(heur_node, UDP, b, 160, &h), h);

	/* Nano: a live keepalive, answered by one. */
	memset(&st, 0, sizeof(st));
	memset(b, 0, sizeof(b));
	memcpy(b, "RC\x13\x13\x12\x02\x00\x00", 8);
	r = feed(heur_node, &st, UDP, 0, b, 152, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_MEDIUM, "crypto-node",
	    "Nano keepalive, network 'C', protocol v19");
	r = feed(heur_node, &st, UDP, 1, b, 152, &h);
	EXPECT_HIT(r, h, CAT_MINING, CONF_HIGH, "crypto-node",
	    "Nano keepalive, network 'C', protocol v19, answered in kind");
	/* versions out of order, a keepalive of the wrong size */
	b[3] = 0x14;
	EXPECT_MISS(feed1(heur_node, UDP, b, 152, &h), h);
	b[3] = 0x13;
	EXPECT_MISS(feed1(heur_node, UDP, b, 151, &h), h);
}
END_TEST

START_TEST(json_rpc_not_mining)
{
	static const struct {
		const char *text;
		const char *what;
	} cases[] = {
		{ rpc_eth_block_number, "eth_blockNumber" },
		{ rpc_eth_block_number_http, "eth_blockNumber over HTTP" },
		{ rpc_lsp_initialize, "LSP initialize" },
		{ rpc_lsp_framed, "LSP initialize, framed" },
		{ rpc_login_user, "login without agent" },
		{ rpc_nested_method, "method nested in params" },
		{ rpc_method_as_value, "mining.* as a params value" },
		{ rpc_method_in_string, "method inside a string" },
		{ rpc_method_in_array, "method as an array element" },
		{ rpc_submit_form, "submit without job_id and nonce" },
		{ rpc_job_plain, "job without blob" },
		{ rpc_hello_plain, "mining.hello without EthereumStratum" },
		{ http_plain_get, "HTTP GET" },
		{ "{\"method\" \"mining.subscribe\"}", "no colon" },
		{ "[{\"method\":\"mining.subscribe\"}]", "a batch" },
	};
	struct heur_hit h;
	size_t i;
	int r;

	for (i = 0; i < NELEM(cases); i++) {
		r = feed1(heur_mining, TCP, (const uint8_t *)cases[i].text,
		    strlen(cases[i].text), &h);
		ck_assert_msg(r == 0, "%s: hit %s (%s)", cases[i].what, h.name, h.detail);
		r = feed1(heur_p2p, TCP, (const uint8_t *)cases[i].text,
		    strlen(cases[i].text), &h);
		ck_assert_msg(r == 0, "%s: p2p hit %s", cases[i].what,
		    h.name);
	}
}
END_TEST

/* ---- peer-to-peer ---- */

START_TEST(bittorrent)
{
	uint8_t b[128];
	struct heur_hit h;
	size_t n;
	int r;

	n = build_bt_handshake(b);
	r = feed1(heur_p2p, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent",
	    "handshake info_hash=123456789abcdef123456789abcdef123456789a");
	r = feed1(heur_p2p, TCP, b, 20, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent", "handshake");
	b[5] = 'X';
	r = feed1(heur_p2p, TCP, b, n, &h);
	EXPECT_MISS(r, h);

	r = feed1(heur_p2p, TCP, TXT(tracker_announce), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-tracker",
	    "announce info_hash=%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124V");
	r = feed1(heur_p2p, TCP, TXT(tracker_passkey), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-tracker", NULL);
	r = feed1(heur_p2p, TCP, TXT(tracker_scrape), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-tracker", NULL);
	ck_assert(strncmp(h.detail, "scrape info_hash=", 17) == 0);

	r = feed1(heur_p2p, TCP, TXT(http_announce_no_hash), &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, TCP, TXT(http_plain_get), &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, TCP, TXT(http_hash_elsewhere), &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, TCP, TXT(http_hash_in_value), &h);
	EXPECT_MISS(r, h);

	n = build_udp_tracker_connect(b);
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-udp-tracker",
	    "connect");
	b[11] = 1;	/* action announce: not a connect */
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_MISS(r, h);

	r = feed1(heur_p2p, UDP, TXT(lsd_search), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-lsd", "BT-SEARCH");
}
END_TEST

START_TEST(dht)
{
	struct heur_hit h;
	int r;

	r = feed1(heur_p2p, UDP, TXT(dht_ping), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-dht", "query ping");
	r = feed1(heur_p2p, UDP, TXT(dht_get_peers), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-dht",
	    "query get_peers");
	/* cut short by the capture: the sorted opening still counts */
	r = feed1(heur_p2p, UDP, (const uint8_t *)dht_get_peers, 40, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-dht", "query");
	r = feed1(heur_p2p, UDP, TXT(dht_response), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-dht", "response");
	/* no fixed prefix: the dictionary walk */
	r = feed1(heur_p2p, UDP, TXT(dht_response_ip), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-dht", "response");
	r = feed1(heur_p2p, UDP, TXT(dht_put), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent-dht", "query put");

	r = feed1(heur_p2p, UDP, TXT(dht_error), &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, UDP, TXT(dht_bad_id), &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, UDP, TXT(dht_unknown_q), &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, UDP, TXT(bencode_other), &h);
	EXPECT_MISS(r, h);
	/* without that opening, the dictionary must fill the datagram */
	r = feed1(heur_p2p, UDP, (const uint8_t *)dht_put,
	    sizeof(dht_put) - 2, &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, UDP, (const uint8_t *)dht_response_ip,
	    sizeof(dht_response_ip) - 2, &h);
	EXPECT_MISS(r, h);
}
END_TEST

START_TEST(utp_two_packets)
{
	uint8_t syn[32], state[32], data[128];
	struct heur_flow st;
	struct heur_hit h;
	size_t ns, nt, nd;
	int r;

	ns = build_utp(syn, 4, 0, 0x3c21, 0x0001, 0);
	nt = build_utp(state, 2, 0, 0x3c21, 0x9a7e, 0x0001);

	/* either packet alone fits the header and says nothing */
	r = feed1(heur_p2p, UDP, syn, ns, &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, UDP, state, nt, &h);
	EXPECT_MISS(r, h);

	/* SYN from the opener, STATE acking it from the responder */
	memset(&st, 0, sizeof(st));
	r = feed(heur_p2p, &st, UDP, 0, syn, ns, &h);
	EXPECT_MISS(r, h);
	r = feed(heur_p2p, &st, UDP, 1, state, nt, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "utp",
	    "ST_SYN answered by ST_STATE conn_id=15393");

	/* the STATE must come from the other side */
	memset(&st, 0, sizeof(st));
	feed(heur_p2p, &st, UDP, 0, syn, ns, &h);
	r = feed(heur_p2p, &st, UDP, 0, state, nt, &h);
	EXPECT_MISS(r, h);

	/* ... ack the SYN's seq_nr ... */
	memset(&st, 0, sizeof(st));
	feed(heur_p2p, &st, UDP, 0, syn, ns, &h);
	nt = build_utp(state, 2, 0, 0x3c21, 0x9a7e, 0x0002);
	r = feed(heur_p2p, &st, UDP, 1, state, nt, &h);
	EXPECT_MISS(r, h);

	/* ... and name its connection */
	memset(&st, 0, sizeof(st));
	feed(heur_p2p, &st, UDP, 0, syn, ns, &h);
	nt = build_utp(state, 2, 0, 0x3c22, 0x9a7e, 0x0001);
	r = feed(heur_p2p, &st, UDP, 1, state, nt, &h);
	EXPECT_MISS(r, h);

	/* a STATE with a selective ack extension still answers */
	memset(&st, 0, sizeof(st));
	feed(heur_p2p, &st, UDP, 0, syn, ns, &h);
	nt = build_utp(state, 2, 1, 0x3c21, 0x9a7e, 0x0001);
	state[nt++] = 0;	/* no further extension */
	state[nt++] = 4;	/* 32-bit mask */
	memset(state + nt, 0, 4);
	nt += 4;
	r = feed(heur_p2p, &st, UDP, 1, state, nt, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "utp", NULL);

	/* a SYN carrying data is not a SYN */
	memset(&st, 0, sizeof(st));
	memcpy(data, syn, ns);
	memcpy(data + ns, "xyz", 3);
	feed(heur_p2p, &st, UDP, 0, data, ns + 3, &h);
	nt = build_utp(state, 2, 0, 0x3c21, 0x9a7e, 0x0001);
	r = feed(heur_p2p, &st, UDP, 1, state, nt, &h);
	EXPECT_MISS(r, h);

	/* ST_DATA with a BitTorrent handshake over uTP */
	nd = build_utp(data, 0, 0, 0x3c22, 0x0002, 0x9a7e);
	nd += build_bt_handshake(data + nd);
	r = feed1(heur_p2p, UDP, data, nd, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "bittorrent", NULL);
	ck_assert(strncmp(h.detail, "handshake over uTP", 18) == 0);
}
END_TEST

/* Random headers that are valid uTP by themselves, each alone in a flow
 * or as random pairs: without the SYN/STATE relation, no hit. */
START_TEST(utp_single_headers)
{
	uint8_t b[UINT8_MAX], c[UINT8_MAX];
	struct heur_flow st;
	struct heur_hit h;
	unsigned i, hits = 0;
	size_t n, m;

	srand(29);
	for (i = 0; i < 20000; i++) {
		n = build_utp(b, (unsigned)rand() % 5, 0,
		    (uint16_t)rand(), (uint16_t)rand(), (uint16_t)rand());
		m = build_utp(c, (unsigned)rand() % 5, 0,
		    (uint16_t)rand(), (uint16_t)rand(), (uint16_t)rand());
		memset(&st, 0, sizeof(st));
		hits += (unsigned)feed(heur_p2p, &st, UDP, 0, b, n, &h);
		hits += (unsigned)feed(heur_p2p, &st, UDP, 1, c, m, &h);
	}
	ck_assert_msg(hits == 0, "%u hits from lone uTP headers", hits);
}
END_TEST

START_TEST(gnutella)
{
	static const uint8_t pong[14] = {
		0x1a, 0x18,			/* port 6346 */
		0x0a, 0x00, 0x00, 0x05,		/* ip */
		0x20, 0x00, 0x00, 0x00,		/* files shared */
		0x00, 0x10, 0x00, 0x00,		/* KB shared */
	};
	uint8_t b[64];
	struct heur_flow st;
	struct heur_hit h;
	size_t n;
	int r;

	r = feed1(heur_p2p, TCP, TXT(gnutella_connect), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "gnutella",
	    "GNUTELLA CONNECT/0.6");
	r = feed1(heur_p2p, TCP, TXT(gnutella_ok), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "gnutella", "GNUTELLA/0.6 200 OK");
	r = feed1(heur_p2p, TCP, TXT(gnutella_bad_status), &h);
	EXPECT_MISS(r, h);

	/* GND: a fragment asking for an ack, and the ack */
	n = build_gnd(b, 0x02, 0x0107, 1, 1, 1);
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "gnutella2-udp", "GND part 1/1");
	n = build_gnd(b, 0x00, 0x0107, 1, 0, 0);
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "gnutella2-udp",
	    "GND ack part 1");
	n = build_gnd(b, 0x02, 0x0107, 0, 1, 1);	/* part 0 */
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_gnd(b, 0x02, 0x0107, 3, 2, 1);	/* part > count */
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_gnd(b, 0x42, 0x0107, 1, 1, 1);	/* unknown flag bits */
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_gnd(b, 0x10, 0x3f85, 1, 1, 1);	/* 0x10, seen in the wild */
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "gnutella2-udp", "GND part 1/1");

	/* descriptors: one is medium, two are high */
	memset(&st, 0, sizeof(st));
	n = build_gnutella(b, 0x00, 1, 0, "", 0);
	ck_assert_uint_eq(n, 23);
	r = feed(heur_p2p, &st, UDP, 0, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "gnutella-udp",
	    "ping ttl=1 hops=0");
	n = build_gnutella(b, 0x01, 1, 0, pong, sizeof(pong));
	r = feed(heur_p2p, &st, UDP, 1, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "gnutella-udp",
	    "pong ttl=1 hops=0");

	n = build_gnutella(b, 0x44, 0, 1, "\x01\x02\x03\x04\x05", 5);
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "mojito-dht", NULL);

	/* length off by one, unknown type, TTL too high, zero GUID */
	n = build_gnutella(b, 0x01, 1, 0, pong, sizeof(pong));
	r = feed1(heur_p2p, UDP, b, n - 1, &h);
	EXPECT_MISS(r, h);
	n = build_gnutella(b, 0x03, 1, 0, pong, sizeof(pong));
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_gnutella(b, 0x80, 16, 0, pong, sizeof(pong));
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_MISS(r, h);
	memset(b, 0, 23);
	r = feed1(heur_p2p, UDP, b, 23, &h);
	EXPECT_MISS(r, h);
}
END_TEST

START_TEST(edonkey)
{
	uint8_t b[160], two[320];
	struct heur_flow st;
	struct heur_hit h;
	size_t n, m;
	int r;

	n = build_ed2k_hello(b, 0xe3, 0x01);
	r = feed1(heur_p2p, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "edonkey", "OP_HELLO");
	n = build_ed2k_hello(b, 0xe3, 0x4c);
	r = feed1(heur_p2p, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "edonkey", "OP_HELLOANSWER");

	/* a hello followed in the segment by a second framed message */
	n = build_ed2k_hello(two, 0xe3, 0x01);
	m = build_ed2k_hello(b, 0xe3, 0x4c);
	memcpy(two + n, b, m);
	r = feed1(heur_p2p, TCP, two, n + m, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "edonkey", "OP_HELLO");

	/* the length must tile the segment exactly */
	n = build_ed2k_hello(b, 0xe3, 0x01);
	r = feed1(heur_p2p, TCP, b, n - 1, &h);
	EXPECT_MISS(r, h);
	b[n] = 0;
	r = feed1(heur_p2p, TCP, b, n + 1, &h);
	EXPECT_MISS(r, h);
	/* another opcode (OP_REQUESTFILENAME) does not open a connection */
	n = build_ed2k_hello(b, 0xe3, 0x01);
	b[5] = 0x58;
	r = feed1(heur_p2p, TCP, b, n, &h);
	EXPECT_MISS(r, h);

	/* Kad: the two-byte PING counts when a PONG answers it */
	r = feed1(heur_p2p, UDP, (const uint8_t *)"\xe4\x01", 2, &h);
	EXPECT_MISS(r, h);
	memset(&st, 0, sizeof(st));
	r = feed(heur_p2p, &st, UDP, 0, (const uint8_t *)"\xe4\x60", 2, &h);
	EXPECT_MISS(r, h);
	r = feed(heur_p2p, &st, UDP, 1, (const uint8_t *)"\xe4\x61\x36\x12",
	    4, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "kad", "KADEMLIA2_PONG");
	r = feed1(heur_p2p, UDP, (const uint8_t *)"\xe4\x61\x36\x12", 4, &h);
	EXPECT_MISS(r, h);
	memset(&st, 0, sizeof(st));
	feed(heur_p2p, &st, UDP, 0, (const uint8_t *)"\xe4\x60", 2, &h);
	r = feed(heur_p2p, &st, UDP, 0, (const uint8_t *)"\xe4\x61\x36\x12",
	    4, &h);
	EXPECT_MISS(r, h);
	n = build_kad_hello(b);
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "kad", "KADEMLIA2_HELLO_REQ");
	n = build_kad_req(b);
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "kad", "KADEMLIA2_REQ");
	n = build_kad_bootstrap_res(b);
	ck_assert_uint_eq(n, 48);
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "kad",
	    "KADEMLIA2_BOOTSTRAP_RES");
	r = feed1(heur_p2p, UDP, b, n - 1, &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, UDP, (const uint8_t *)"\xe5\x29\x78\x9c\x63\x60"
	    "\x00\x02\x00\x00\x01\x00", 12, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "kad", "KADEMLIA2_RES packed");

	r = feed1(heur_p2p, UDP, (const uint8_t *)"\xe4\x60\x00", 3, &h);
	EXPECT_MISS(r, h);
	n = build_kad_hello(b);
	b[21] = 2;	/* two tags announced, one there */
	r = feed1(heur_p2p, UDP, b, n, &h);
	EXPECT_MISS(r, h);
	n = build_kad_req(b);
	r = feed1(heur_p2p, UDP, b, n - 1, &h);
	EXPECT_MISS(r, h);
	/* not what zlib's compress2() writes */
	r = feed1(heur_p2p, UDP, (const uint8_t *)"\xe5\x29\x78\x9d\x63\x60"
	    "\x00\x02\x00\x00\x01\x00", 12, &h);
	EXPECT_MISS(r, h);
	r = feed1(heur_p2p, UDP, (const uint8_t *)"\xe5\x29\x78\x9c\x63\x60",
	    6, &h);
	EXPECT_MISS(r, h);
}
END_TEST

/* ---- robustness ---- */

struct positive {
	heur_fn fn;
	uint8_t proto;
	const uint8_t *data;
	size_t len;
	int alone;	/* hits alone in a flow (the uTP pair does not) */
};

/* Every prefix of every positive, through both families, in a fresh
 * flow and in one that has seen the whole message before. */
/* Appends a Soulseek string (uint32 LE length, bytes) at b + n. */
static size_t
slsk_str(uint8_t *b, size_t n, const char *str)
{
	size_t l = strlen(str);

	b[n] = (uint8_t)l;
	b[n + 1] = (uint8_t)(l >> 8);
	b[n + 2] = 0;
	b[n + 3] = 0;
	memcpy(b + n + 4, str, l);
	return n + 4 + l;
}

static size_t
slsk_u32(uint8_t *b, size_t n, uint32_t v)
{
	b[n] = (uint8_t)v;
	b[n + 1] = (uint8_t)(v >> 8);
	b[n + 2] = (uint8_t)(v >> 16);
	b[n + 3] = (uint8_t)(v >> 24);
	return n + 4;
}

/* Soulseek's Login (server code 1) as nicotine-plus's SLSKPROTOCOL.md
 * lays it out; with bad, the hash is one digit short. */
static size_t
slsk_login(uint8_t *b, int bad)
{
	size_t n = 4;

	n = slsk_u32(b, n, 1);
	n = slsk_str(b, n, "vmuser");
	n = slsk_str(b, n, "secret");
	n = slsk_u32(b, n, 160);
	n = slsk_str(b, n, bad ? "6f2c0b8d1e07a0ff3c8a4e6b1d9e2f7" :
	    "6f2c0b8d1e07a0ff3c8a4e6b1d9e2f70");
	n = slsk_u32(b, n, 1);
	slsk_u32(b, 0, (uint32_t)(n - 4));
	return n;
}

/* PeerInit: length, code 1 (one byte), username, type, token. */
static size_t
slsk_peer_init(uint8_t *b, const char *type)
{
	size_t n = 5;

	b[4] = 1;
	n = slsk_str(b, n, "vmuser");
	n = slsk_str(b, n, type);
	n = slsk_u32(b, n, 0x1234);
	slsk_u32(b, 0, (uint32_t)(n - 4));
	return n;
}

START_TEST(soulseek_and_dc)
{
	uint8_t b[160];
	struct heur_flow st;
	struct heur_hit h;
	size_t n;
	int r;

	n = slsk_login(b, 0);
	r = feed1(heur_p2p, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "soulseek",
	    "server login user=vmuser version=160");
	n = slsk_peer_init(b, "P");
	r = feed1(heur_p2p, TCP, b, n, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "soulseek",
	    "peer init user=vmuser type=P");
	/* Not Soulseek: a hash that is not 32 hex digits, a type that is
	 * none of P, F, D, a length one short or one long, the server's
	 * side, the same bytes later in the flow. */
	n = slsk_login(b, 1);
	EXPECT_MISS(feed1(heur_p2p, TCP, b, n, &h), h);
	n = slsk_peer_init(b, "X");
	EXPECT_MISS(feed1(heur_p2p, TCP, b, n, &h), h);
	n = slsk_peer_init(b, "P");
	b[0]--;
	EXPECT_MISS(feed1(heur_p2p, TCP, b, n, &h), h);
	b[0] += 2;
	EXPECT_MISS(feed1(heur_p2p, TCP, b, n, &h), h);
	b[0]--;
	memset(&st, 0, sizeof(st));
	EXPECT_MISS(feed(heur_p2p, &st, TCP, 1, b, n, &h), h);

	/* Direct Connect: NMDC's hub lock, a client calling a peer, ADC. */
	memset(&st, 0, sizeof(st));
	r = feed(heur_p2p, &st, TCP, 1, TXT("$Lock EXTENDEDPROTOCOL_"
	    "verlihub Pk=version0.9.8e-r2|$HubName Test hub|"), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "directconnect",
	    "NMDC $Lock from the hub or called peer");
	r = feed1(heur_p2p, TCP, TXT("$MyNick vm|$Lock EXTENDEDPROTOCOLABCABC"
	    "ABCABCABCABC Pk=DCPLUSPLUS0.868Ref=hub:411|"), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "directconnect",
	    "NMDC $MyNick from the client");
	r = feed1(heur_p2p, TCP, TXT("HSUP ADBASE ADTIGR ADPING\n"), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "directconnect",
	    "ADC hub handshake (HSUP with BASE)");
	r = feed1(heur_p2p, TCP, TXT("CSUP ADBASE ADTIGR ADBZIP\n"), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "directconnect",
	    "ADC client-client handshake (CSUP with BASE)");
	/* ADC without BASE, a lower-case feature, no end of line; NMDC
	 * without Pk=, a $MyNick alone, an unterminated command. */
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("HSUP ADTIGR\n"), &h), h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("HSUP ADbase\n"), &h), h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("HSUP ADBASE"), &h), h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("$Lock abc|"), &h), h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("$MyNick vm|"), &h), h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("$Lock abc Pk=x"), &h), h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("HEAD / HTTP/1.1\r\n\r\n"), &h),
	    h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("CONNECT a:443 HTTP/1.1\r\n\r\n"),
	    &h), h);
}
END_TEST

/* Syncthing's relay protocol (lib/relay/protocol): JoinSessionRequest
 * with its 32-byte key, and the relay's Response. */
START_TEST(syncthing_relay)
{
	uint8_t b[48];
	struct heur_flow st;
	struct heur_hit h;
	int r;

	memcpy(b, "\x9e\x79\xbc\x40\x00\x00\x00\x03\x00\x00\x00\x24"
	    "\x00\x00\x00\x20", 16);
	memset(b + 16, 0x5c, 32);
	r = feed1(heur_p2p, TCP, b, 48, &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "syncthing-relay",
	    "relay protocol join-session request");
	memset(&st, 0, sizeof(st));
	r = feed(heur_p2p, &st, TCP, 1, TXT("\x9e\x79\xbc\x40\x00\x00\x00\x04"
	    "\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x07success\x00"), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "syncthing-relay",
	    "relay protocol response");
	/* A key of another size, an unknown type, a wrong magic. */
	EXPECT_MISS(feed1(heur_p2p, TCP, b, 47, &h), h);
	b[7] = 9;
	EXPECT_MISS(feed1(heur_p2p, TCP, b, 48, &h), h);
	b[7] = 3;
	b[3] = 0x41;
	EXPECT_MISS(feed1(heur_p2p, TCP, b, 48, &h), h);
}
END_TEST

/* libp2p's multistream-select header, whole or with its length byte in a
 * segment of its own as js-libp2p sends it; both sides make it high. */
START_TEST(libp2p_multistream)
{
	struct heur_flow st;
	struct heur_hit h;
	int r;

	r = feed1(heur_p2p, TCP, TXT("\x13/multistream/1.0.0\n\x07/noise\n"),
	    &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "libp2p",
	    "multistream-select 1.0.0 from the opener (IPFS and other libp2p "
	    "nodes)");
	memset(&st, 0, sizeof(st));
	EXPECT_MISS(feed(heur_p2p, &st, TCP, 0, TXT("\x13"), &h), h);
	r = feed(heur_p2p, &st, TCP, 0, TXT("/multistream/1.0.0\n"), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_MEDIUM, "libp2p", NULL);
	EXPECT_MISS(feed(heur_p2p, &st, TCP, 1, TXT("\x13"), &h), h);
	r = feed(heur_p2p, &st, TCP, 1, TXT("/multistream/1.0.0\n"), &h);
	EXPECT_HIT(r, h, CAT_P2P, CONF_HIGH, "libp2p",
	    "multistream-select 1.0.0 from the two sides (IPFS and other "
	    "libp2p nodes)");
	/* The id without its length byte before it; another version. */
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("/multistream/1.0.0\n"), &h), h);
	EXPECT_MISS(feed1(heur_p2p, TCP, TXT("\x13/multistream/2.0.0\n"), &h),
	    h);
}
END_TEST

START_TEST(truncated_positives)
{
	static uint8_t bin[20][400];
	struct positive pos[64];
	struct heur_flow st;
	struct heur_hit h;
	size_t npos = 0, nbin = 0, i, k;

#define ADD_TXT(f, pr, s) do {						\
	pos[npos].fn = (f); pos[npos].proto = (pr);			\
	pos[npos].data = (const uint8_t *)(s);				\
	pos[npos].len = sizeof(s) - 1; pos[npos].alone = 1; npos++;	\
} while (0)
#define ADD_BIN(f, pr, expr) do {					\
	pos[npos].fn = (f); pos[npos].proto = (pr);			\
	pos[npos].len = (expr); pos[npos].data = bin[nbin++];		\
	pos[npos].alone = 1; npos++;					\
} while (0)

	ADD_TXT(heur_mining, TCP, stratum_subscribe);
	ADD_TXT(heur_mining, TCP, stratum_authorize);
	ADD_TXT(heur_mining, TCP, stratum_notify);
	ADD_TXT(heur_mining, TCP, stratum_configure);
	ADD_TXT(heur_mining, TCP, stratum_submit);
	ADD_TXT(heur_mining, TCP, eth_subscribe);
	ADD_TXT(heur_mining, TCP, eth_hello);
	ADD_TXT(heur_mining, TCP, eth_submit_login);
	ADD_TXT(heur_mining, TCP, eth_getwork_http);
	ADD_TXT(heur_mining, TCP, xmrig_login);
	ADD_TXT(heur_mining, TCP, xmrig_login_reply);
	ADD_TXT(heur_mining, TCP, xmrig_submit);
	ADD_TXT(heur_mining, TCP, xmrig_job);
	ADD_TXT(heur_mining, TCP, xmr_login_wallet);
	ADD_TXT(heur_mining, TCP, gbt_http);
	ADD_TXT(heur_mining, TCP, monero_gbt);
	ADD_BIN(heur_node, TCP, build_btc_version(bin[nbin], btc_mainnet));
	ADD_BIN(heur_node, TCP, build_btc_version(bin[nbin], btc_signet));
	ADD_BIN(heur_p2p, TCP, build_bt_handshake(bin[nbin]));
	ADD_TXT(heur_p2p, TCP, tracker_announce);
	ADD_TXT(heur_p2p, TCP, tracker_passkey);
	ADD_TXT(heur_p2p, TCP, tracker_scrape);
	ADD_BIN(heur_p2p, UDP, build_udp_tracker_connect(bin[nbin]));
	ADD_TXT(heur_p2p, UDP, dht_ping);
	ADD_TXT(heur_p2p, UDP, dht_get_peers);
	ADD_TXT(heur_p2p, UDP, dht_response_ip);
	ADD_TXT(heur_p2p, UDP, dht_put);
	ADD_TXT(heur_p2p, UDP, lsd_search);
	ADD_BIN(heur_p2p, TCP, slsk_login(bin[nbin], 0));
	ADD_BIN(heur_p2p, TCP, slsk_peer_init(bin[nbin], "F"));
	ADD_TXT(heur_p2p, TCP, "HSUP ADBASE ADTIGR\n");
	ADD_TXT(heur_p2p, TCP, "$MyNick a|$Lock b Pk=c|");
	ADD_TXT(heur_p2p, TCP, gnutella_connect);
	ADD_TXT(heur_p2p, TCP, gnutella_ok);
	ADD_BIN(heur_p2p, UDP, build_gnd(bin[nbin], 0x02, 7, 1, 1, 1));
	ADD_BIN(heur_p2p, UDP, build_gnutella(bin[nbin], 0x80, 3, 1,
	    "\x00\x00" "ubuntu iso\0", 13));
	ADD_BIN(heur_p2p, TCP, build_ed2k_hello(bin[nbin], 0xe3, 0x01));
	ADD_BIN(heur_p2p, TCP, build_ed2k_hello(bin[nbin], 0xe3, 0x4c));
	ADD_BIN(heur_p2p, UDP, build_kad_hello(bin[nbin]));
	ADD_BIN(heur_p2p, UDP, build_kad_req(bin[nbin]));
	ADD_BIN(heur_p2p, UDP, build_kad_bootstrap_res(bin[nbin]));
	ADD_BIN(heur_p2p, UDP, build_utp(bin[nbin], 4, 0, 0x3c21, 1, 0));
	pos[npos - 1].alone = 0;
	ADD_BIN(heur_p2p, UDP, build_utp(bin[nbin], 2, 0, 0x3c21, 9, 1));
	pos[npos - 1].alone = 0;
	ck_assert_uint_le(npos, NELEM(pos));
	ck_assert_uint_le(nbin, NELEM(bin));
#undef ADD_TXT
#undef ADD_BIN

	for (i = 0; i < npos; i++) {
		/* the whole message is a hit (the uTP pair aside) */
		memset(&st, 0, sizeof(st));
		ck_assert_msg(feed(pos[i].fn, &st, pos[i].proto, 0,
		    pos[i].data, pos[i].len, &h) == pos[i].alone,
		    "positive %zu: hit or miss unexpected", i);
		for (k = 0; k < pos[i].len; k++) {
			feed(heur_mining, &st, pos[i].proto, (int)(k & 1),
			    pos[i].data, k, &h);
			feed(heur_p2p, &st, pos[i].proto, (int)(k & 1),
			    pos[i].data, k, &h);
			feed1(heur_mining, pos[i].proto, pos[i].data, k, &h);
			feed1(heur_p2p, pos[i].proto, pos[i].data, k, &h);
			feed1(heur_mining, pos[i].proto == TCP ? UDP : TCP,
			    pos[i].data, k, &h);
			feed1(heur_p2p, pos[i].proto == TCP ? UDP : TCP,
			    pos[i].data, k, &h);
			feed1(heur_node, pos[i].proto, pos[i].data, k, &h);
			feed1(heur_node, pos[i].proto == TCP ? UDP : TCP,
			    pos[i].data, k, &h);
		}
	}
}
END_TEST

/* Feeds a through every family and, with b, as a pair in one flow;
 * counts the hits, the ones from Kad apart. */
static void
random_round(const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
    unsigned *hits, unsigned *kad)
{
	struct heur_flow st;
	struct heur_hit h[7];
	int r[7];
	size_t i;

	r[5] = feed1(heur_node, UDP, a, na, &h[5]);
	r[6] = feed1(heur_node, TCP, a, na, &h[6]);
	r[0] = feed1(heur_p2p, UDP, a, na, &h[0]);
	r[1] = feed1(heur_p2p, TCP, a, na, &h[1]);
	r[2] = feed1(heur_mining, TCP, a, na, &h[2]);
	memset(&st, 0, sizeof(st));
	r[3] = feed(heur_p2p, &st, UDP, 0, a, na, &h[3]);
	r[4] = feed(heur_p2p, &st, UDP, 1, b, nb, &h[4]);
	for (i = 0; i < NELEM(r); i++) {
		if (!r[i])
			continue;
		if (strcmp(h[i].name, "kad") == 0)
			(*kad)++;
		else
			(*hits)++;
	}
}

/*
 * 100000 random payloads of 0..200 bytes, each alone in a flow over TCP
 * and UDP through both families, and in random pairs (opener, then
 * responder) for the two-packet uTP, Gnutella and Kad rules. Every rule
 * keys on 24 bits or more of fixed bytes, or an exact 32-bit length, or
 * for Kad the protocol byte and opcode plus an exact size and field
 * checks; the bare two-byte Kad PING needs its PONG. Expected hits over
 * the loop are far below 0.1 (none in 2,000,000 rounds measured): the
 * bound is 0.
 */
START_TEST(random_payloads)
{
	uint8_t a[200], b[200];
	unsigned i, hits = 0, kad = 0;
	size_t na, nb, k;

	srand(20240229);
	for (i = 0; i < 100000; i++) {
		na = (size_t)rand() % 201;
		nb = (size_t)rand() % 201;
		for (k = 0; k < na; k++)
			a[k] = (uint8_t)rand();
		for (k = 0; k < nb; k++)
			b[k] = (uint8_t)rand();
		random_round(a, na, b, nb, &hits, &kad);
	}
	ck_assert_msg(hits + kad == 0, "%u hits from random payloads",
	    hits + kad);
}
END_TEST

/*
 * The same with the first byte drawn from the ones the detectors switch
 * on (uTP's type/version bytes, eDonkey's and Kad's protocol bytes, 'd',
 * 'G', 'B', '{', 19, 0, the Bitcoin magics' first bytes), so every
 * payload gets past the fast first-byte check into the parsers. All but
 * Kad still need 24 bits or more of fixed structure: bound 0. Kad's
 * single-datagram rules are left with the opcode (8 bits), an exact size
 * (about 1 in 200 here) and a few bits of field checks: about 2 hits per
 * million rounds measured, so 0.2 expected here; the bound is 2.
 */
START_TEST(random_payloads_past_first_byte)
{
	static const uint8_t firsts[] = {
		0x01, 0x11, 0x21, 0x31, 0x41, 0xe3, 0xc5, 0xd4, 0xe4, 0xe5,
		'd', 'G', 'B', '{', 19, 0x00, 0xf9, 0x0b, 0x0a, 0x1c, 0xfa,
		'$', 'H', 'C',
	};
	uint8_t a[200], b[200];
	unsigned i, hits = 0, kad = 0;
	size_t na, nb, k;

	srand(4242);
	for (i = 0; i < 100000; i++) {
		na = 1 + (size_t)rand() % 200;
		nb = 1 + (size_t)rand() % 200;
		for (k = 0; k < na; k++)
			a[k] = (uint8_t)rand();
		for (k = 0; k < nb; k++)
			b[k] = (uint8_t)rand();
		a[0] = firsts[(size_t)rand() % NELEM(firsts)];
		b[0] = firsts[(size_t)rand() % NELEM(firsts)];
		random_round(a, na, b, nb, &hits, &kad);
	}
	ck_assert_msg(hits == 0, "%u hits from random payloads", hits);
	ck_assert_msg(kad <= 2, "%u Kad hits from random payloads", kad);
}
END_TEST

Suite *
heur_p2p_mining_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("heur_p2p_mining");
	tc = tcase_create("mining");
	tcase_add_test(tc, stratum_v1);
	tcase_add_test(tc, stratum_worker_detail);
	tcase_add_test(tc, xmrig);
	tcase_add_test(tc, ethereum);
	tcase_add_test(tc, solo_rpc);
	tcase_add_test(tc, bitcoin);
	tcase_add_test(tc, node_arithmetic);
	tcase_add_test(tc, crypto_nodes);
	tcase_add_test(tc, json_rpc_not_mining);
	suite_add_tcase(s, tc);
	tc = tcase_create("p2p");
	tcase_add_test(tc, bittorrent);
	tcase_add_test(tc, dht);
	tcase_add_test(tc, utp_two_packets);
	tcase_add_test(tc, utp_single_headers);
	tcase_add_test(tc, gnutella);
	tcase_add_test(tc, edonkey);
	tcase_add_test(tc, soulseek_and_dc);
	tcase_add_test(tc, syncthing_relay);
	tcase_add_test(tc, libp2p_multistream);
	suite_add_tcase(s, tc);
	tc = tcase_create("robustness");
	tcase_add_test(tc, truncated_positives);
	tcase_add_test(tc, random_payloads);
	tcase_add_test(tc, random_payloads_past_first_byte);
	suite_add_tcase(s, tc);
	return s;
}
