/*
 * heur_mining.c: crypto-currency mining and node traffic recognised from
 * its first messages: Stratum v1 (Bitcoin-style pools), the CryptoNote
 * stratum XMRig speaks to Monero pools, Ethereum getwork and stratum,
 * getblocktemplate solo mining over JSON-RPC (node protocols: heur_node.c).
 *
 * The design decision: mining protocols are JSON-RPC, and so is a lot of
 * innocent traffic (wallets asking a node for eth_blockNumber, language
 * servers, web APIs with a "login" method). So nothing here searches the
 * payload for "mining." or any other word. A tiny bounded JSON scanner walks
 * each newline-delimited message once, tracking nesting, and reports only
 * the top-level "method" and the few keys of its "params" (or "result")
 * that the mining protocols define; a method name alone decides only where
 * the name belongs to mining and nothing else. A family reports again for
 * the same flow only when its confidence rises, so a caller may keep
 * feeding packets after a hit.
 */
#include <stdio.h>
#include <string.h>

#include "heur.h"
#include "util.h"

/* st->mining[] layout. */
#define MI_CONF		0	/* best confidence reported for this flow */
#define MI_FLAGS	1	/* MF_* below */

#define MF_SUB_DIR0	0x01	/* mining.subscribe seen from the opener */
#define MF_SUB_DIR1	0x02	/* mining.subscribe seen from the responder */

/* Bytes of one packet the JSON scanner looks at, and messages per packet:
 * a mining.notify with a long merkle branch stays well under 4 KiB. */
#define RPC_SCAN_MAX	16384
#define RPC_MAX_MSGS	8
#define RPC_MAX_DEPTH	16	/* deeper nesting is not a mining message */
#define HTTP_HDR_MAX	2048	/* an HTTP POST header block, at most */

#define DETAIL_VALUE_MAX 40	/* characters of a worker or agent in detail */

struct span {
	const uint8_t *p;
	size_t len;
};

/* Keys of a message's params (or result) that mining protocols define. */
#define RK_AGENT	0x0001	/* CryptoNote login: miner software */
#define RK_LOGIN	0x0002	/* CryptoNote login: wallet or user */
#define RK_PASS		0x0004	/* CryptoNote login: worker password */
#define RK_ALGO		0x0008	/* CryptoNote login: algorithms mined */
#define RK_RIGID	0x0010	/* CryptoNote login: rig id */
#define RK_JOB_ID	0x0020	/* CryptoNote submit and job */
#define RK_NONCE	0x0040	/* CryptoNote submit */
#define RK_BLOB		0x0080	/* CryptoNote job: block hashing blob */
#define RK_TARGET	0x0100	/* CryptoNote job: share target */
#define RK_WALLET	0x0200	/* monerod get_block_template: reward address */

static const struct {
	const char *name;
	unsigned bit;
} rpc_keys[] = {
	{ "agent", RK_AGENT },
	{ "login", RK_LOGIN },
	{ "pass", RK_PASS },
	{ "algo", RK_ALGO },
	{ "rigid", RK_RIGID },
	{ "job_id", RK_JOB_ID },
	{ "nonce", RK_NONCE },
	{ "blob", RK_BLOB },
	{ "target", RK_TARGET },
	{ "wallet_address", RK_WALLET },
};

/* What one JSON-RPC message says, as far as mining is concerned. */
struct rpc_msg {
	struct span method;	/* top-level "method" string; p NULL if none */
	struct span param0;	/* first string of a top-level "params" array */
	struct span agent;	/* params.agent */
	struct span login;	/* params.login */
	unsigned pkeys;		/* RK_* keys found under "params" */
	unsigned rkeys;		/* RK_* keys found under "result" */
	int has_result;		/* a top-level "result" key */
	int eth_stratum;	/* a params string starting "EthereumStratum/" */
};

static int
is_print(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

static int
is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.p != NULL && s.len == n && memcmp(s.p, lit, n) == 0;
}

static int
span_prefix(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.p != NULL && s.len >= n && memcmp(s.p, lit, n) == 0;
}

/* Copies at most DETAIL_VALUE_MAX bytes of s into dst as printable text,
 * '?' for the rest. */
static void
print_copy(char *dst, size_t dstlen, struct span s)
{
	size_t i, n;

	if (dstlen == 0)
		return;
	n = s.p == NULL ? 0 : s.len;
	if (n > DETAIL_VALUE_MAX)
		n = DETAIL_VALUE_MAX;
	for (i = 0; i < n && i + 1 < dstlen; i++)
		dst[i] = is_print(s.p[i]) ? (char)s.p[i] : '?';
	dst[i] = '\0';
}

/*
 * Fills hit's fixed fields and returns 1 when conf is more than the flow
 * has reported so far; the caller then writes the detail.
 */
static int
report(struct heur_flow *st, struct heur_hit *hit, enum confidence conf,
    const char *name)
{
	if ((unsigned)conf <= st->mining[MI_CONF])
		return 0;
	st->mining[MI_CONF] = (uint8_t)conf;
	hit->category = CAT_MINING;
	hit->confidence = conf;
	hit->name = name;
	hit->detail[0] = '\0';
	return 1;
}

/* ---- a bounded JSON scanner ---- */

/* A number, true, false or null ends at one of these (RFC 8259). */
static int
json_delim(uint8_t c)
{
	return c == ',' || c == ':' || c == ']' || c == '}' || is_ws(c);
}

/* A key of the "params" or "result" subtree: note the ones mining
 * protocols define. */
static void
rpc_note_key(struct rpc_msg *m, struct span top_key, struct span key)
{
	unsigned *keys;
	size_t i;

	if (span_eq(top_key, "params"))
		keys = &m->pkeys;
	else if (span_eq(top_key, "result"))
		keys = &m->rkeys;
	else
		return;
	for (i = 0; i < NELEM(rpc_keys); i++)
		if (span_eq(key, rpc_keys[i].name))
			*keys |= rpc_keys[i].bit;
}

/* A string value at depth (1: top-level object), in an array or as the
 * value of key. */
static void
rpc_note_string(struct rpc_msg *m, unsigned depth, int in_array,
    struct span top_key, struct span key, struct span s)
{
	if (depth == 1) {
		if (!in_array && span_eq(key, "method"))
			m->method = s;
		return;
	}
	if (depth != 2 || !span_eq(top_key, "params"))
		return;
	/* Stratum v1 params are positional; EthereumStratum/1.0.0 names
	 * itself as the second string of mining.subscribe, 2.0.0 as
	 * mining.hello's params.proto. */
	if (span_prefix(s, "EthereumStratum/") &&
	    (in_array || span_eq(key, "proto")))
		m->eth_stratum = 1;
	if (in_array) {
		if (m->param0.p == NULL)
			m->param0 = s;
	} else if (span_eq(key, "agent"))
		m->agent = s;
	else if (span_eq(key, "login"))
		m->login = s;
}

/*
 * Scans one JSON object starting at b[0] == '{' and fills m. Returns the
 * bytes the object took (all of them when it is cut off at the end of the
 * packet: what was seen still counts), or 0 when b is not JSON.
 */
static size_t
rpc_scan(const uint8_t *b, size_t len, struct rpc_msg *m)
{
	struct span top_key = { NULL, 0 }, key = { NULL, 0 }, s;
	uint32_t is_array = 0;	/* bit d: the container at depth d is an array */
	unsigned depth = 0;
	int want_key = 0, colon = 0;
	size_t i = 0, j;
	uint8_t c;

	memset(m, 0, sizeof(*m));
	while (i < len) {
		c = b[i];
		if (is_ws(c)) {
			i++;
			continue;
		}
		if (depth == 0 && c != '{')
			return 0;
		switch (c) {
		case '{':
		case '[':
			if (depth == RPC_MAX_DEPTH)
				return 0;
			depth++;
			if (c == '[')
				is_array |= 1u << depth;
			else
				is_array &= ~(1u << depth);
			want_key = c == '{';
			i++;
			break;
		case '}':
		case ']':
			if ((c == ']') != (int)((is_array >> depth) & 1))
				return 0;
			depth--;
			i++;
			if (depth == 0)
				return i;
			want_key = 0;
			break;
		case ',':
			want_key = !((is_array >> depth) & 1);
			i++;
			break;
		case ':':
			colon = 1;
			i++;
			break;
		case '"':
			/* A string ends at the first quote not escaped by a
			 * backslash (RFC 8259 section 7). */
			for (j = i + 1; j < len && b[j] != '"'; j++)
				if (b[j] == '\\')
					j++;
			if (j >= len)
				return len;
			s.p = b + i + 1;
			s.len = j - i - 1;
			i = j + 1;
			if (want_key) {
				key = s;
				want_key = 0;
				colon = 0;
				if (depth == 1) {
					top_key = s;
					if (span_eq(s, "result"))
						m->has_result = 1;
				} else
					rpc_note_key(m, top_key, s);
			} else if (colon || ((is_array >> depth) & 1))
				rpc_note_string(m, depth,
				    (int)((is_array >> depth) & 1), top_key,
				    key, s);
			break;
		default:
			/* a number, true, false or null */
			i++;
			while (i < len && !json_delim(b[i]))
				i++;
			break;
		}
	}
	return len;
}

/* ---- what a message means ---- */

enum rpc_kind {
	RPC_SUBSCRIBE,		/* Stratum v1 mining.subscribe */
	RPC_WORKER,		/* Stratum v1 with the worker as params[0] */
	RPC_STRATUM,		/* other Stratum v1 methods */
	RPC_ETH_HELLO,		/* EthereumStratum/2.0.0 mining.hello */
	RPC_ETH_LOGIN,		/* eth-proxy stratum login */
	RPC_ETH_WORK,		/* Ethereum getwork */
	RPC_XMR_LOGIN,		/* CryptoNote stratum login */
	RPC_XMR_SUBMIT,		/* CryptoNote stratum submit */
	RPC_XMR_JOB,		/* CryptoNote stratum job */
	RPC_GBT,		/* getblocktemplate, submitblock */
	RPC_GETWORK		/* Bitcoin's pre-0.10 getwork */
};

/*
 * Method names whose only use is mining. Stratum v1 (slush's
 * specification, BIP 310 for mining.configure) names every method
 * "mining.*": subscribe opens a session, authorize names the worker,
 * submit sends a share, notify and set_difficulty hand out work.
 * eth_getWork, eth_submitWork and eth_submitHashrate are the Ethereum
 * JSON-RPC getwork calls (a node hands a header to hash and takes the
 * proof of work back: nothing else calls them), eth_submitLogin is how
 * eth-proxy/Claymore stratum logs a wallet in.
 */
static const struct {
	const char *method;
	enum rpc_kind kind;
} rpc_methods[] = {
	{ "mining.subscribe", RPC_SUBSCRIBE },
	{ "mining.authorize", RPC_WORKER },
	{ "mining.submit", RPC_WORKER },
	{ "mining.extranonce.subscribe", RPC_STRATUM },
	{ "mining.configure", RPC_STRATUM },
	{ "mining.notify", RPC_STRATUM },
	{ "mining.set_difficulty", RPC_STRATUM },
	{ "mining.set_extranonce", RPC_STRATUM },
	{ "mining.suggest_difficulty", RPC_STRATUM },
	{ "mining.set_target", RPC_STRATUM },
	{ "mining.hello", RPC_ETH_HELLO },
	{ "eth_submitLogin", RPC_ETH_LOGIN },
	{ "eth_getWork", RPC_ETH_WORK },
	{ "eth_submitWork", RPC_ETH_WORK },
	{ "eth_submitHashrate", RPC_ETH_WORK },
	{ "login", RPC_XMR_LOGIN },
	{ "submit", RPC_XMR_SUBMIT },
	{ "job", RPC_XMR_JOB },
	{ "getblocktemplate", RPC_GBT },
	{ "get_block_template", RPC_GBT },
	{ "submitblock", RPC_GBT },
	{ "getwork", RPC_GETWORK },
};

/*
 * A Monero address as pools take it for a login: 95 base58 characters
 * (106 for an integrated address) starting with 4 (main address) or 8
 * (subaddress), optionally followed by ".worker" or "+difficulty".
 */
static int
monero_address(struct span s)
{
	static const char b58[] =
	    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
	size_t i;

	if (s.p == NULL || s.len < 95 || (s.p[0] != '4' && s.p[0] != '8'))
		return 0;
	for (i = 0; i < 95; i++)
		if (s.p[i] == '\0' || strchr(b58, s.p[i]) == NULL)
			return 0;
	return 1;
}

/* A reply: it names no method. */
static int
rpc_judge_reply(struct heur_flow *st, const struct heur_pkt *p,
    const struct rpc_msg *m, struct heur_hit *hit)
{
	uint8_t other = p->dir == 0 ? MF_SUB_DIR1 : MF_SUB_DIR0;

	/* The pool answers mining.subscribe with a result (subscription
	 * details, extranonce1, extranonce2 size): a JSON-RPC reply in the
	 * other direction after a subscribe completes the handshake. */
	if (m->has_result && (st->mining[MI_FLAGS] & other) != 0) {
		if (!report(st, hit, CONF_HIGH, "stratum"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "mining.subscribe answered");
		return 1;
	}
	/* A CryptoNote pool answers login with the first job in the result:
	 * {"id":..., "job":{"blob", "job_id", "target"}, "status":"OK"}. */
	if ((m->rkeys & (RK_BLOB | RK_JOB_ID | RK_TARGET)) ==
	    (RK_BLOB | RK_JOB_ID | RK_TARGET)) {
		if (!report(st, hit, CONF_HIGH, "monero-stratum"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "login result with job");
		return 1;
	}
	return 0;
}

static int
rpc_judge(struct heur_flow *st, const struct heur_pkt *p,
    const struct rpc_msg *m, struct heur_hit *hit)
{
	char value[DETAIL_VALUE_MAX + 1], method[32];
	enum confidence conf;
	const char *name;
	size_t i;

	if (m->method.p == NULL)
		return rpc_judge_reply(st, p, m, hit);
	for (i = 0; i < NELEM(rpc_methods); i++)
		if (span_eq(m->method, rpc_methods[i].method))
			break;
	if (i == NELEM(rpc_methods))
		return 0;
	print_copy(method, sizeof(method), m->method);
	value[0] = '\0';

	/*
	 * Stratum and CryptoNote stratum have pool and miner at either end;
	 * which side is which is not checked, since a VM that runs the pool
	 * or a mining proxy is mining just the same.
	 */
	switch (rpc_methods[i].kind) {
	case RPC_SUBSCRIBE:
		/* Remember it: the pool's reply then completes the pair. */
		st->mining[MI_FLAGS] |= p->dir == 0 ? MF_SUB_DIR0 : MF_SUB_DIR1;
		/* mining.subscribe params[0] is the miner's user agent; a
		 * params string "EthereumStratum/1.0.0" is the NiceHash
		 * Ethereum stratum. Alone, subscribe is one message a
		 * client could send to anything: medium. */
		name = m->eth_stratum ? "eth-stratum" : "stratum";
		conf = m->eth_stratum ? CONF_HIGH : CONF_MEDIUM;
		if (!report(st, hit, conf, name))
			return 0;
		print_copy(value, sizeof(value), m->param0);
		if (value[0] != '\0')
			snprintf(hit->detail, sizeof(hit->detail),
			    "%s agent=%s", method, value);
		else
			snprintf(hit->detail, sizeof(hit->detail), "%s",
			    method);
		return 1;
	case RPC_WORKER:
		/* mining.authorize and mining.submit: params[0] is the
		 * worker name ("user.rig"). */
		if (!report(st, hit, CONF_HIGH, "stratum"))
			return 0;
		print_copy(value, sizeof(value), m->param0);
		snprintf(hit->detail, sizeof(hit->detail), "%s worker=%s",
		    method, value);
		return 1;
	case RPC_STRATUM:
		if (!report(st, hit, CONF_HIGH, "stratum"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "%s", method);
		return 1;
	case RPC_ETH_HELLO:
		/* mining.hello is EthereumStratum/2.0.0's opening; require
		 * its params.proto to say so. */
		if (!m->eth_stratum)
			return 0;
		if (!report(st, hit, CONF_HIGH, "eth-stratum"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "%s", method);
		return 1;
	case RPC_ETH_LOGIN:
		/* params[0] is the wallet address the pool pays. */
		if (!report(st, hit, CONF_HIGH, "eth-stratum"))
			return 0;
		print_copy(value, sizeof(value), m->param0);
		snprintf(hit->detail, sizeof(hit->detail), "%s login=%s",
		    method, value);
		return 1;
	case RPC_ETH_WORK:
		if (!report(st, hit, CONF_HIGH, "eth-getwork"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "%s", method);
		return 1;
	case RPC_XMR_LOGIN:
		/*
		 * "login" is a common method name, so the CryptoNote
		 * stratum login (XMRig, xmr-stak) is told by its params:
		 * "agent" names the miner software; "login" and "pass"
		 * with "algo" or "rigid", or with a Monero address as the
		 * login, are a miner's login even without an agent; "login"
		 * and "pass" alone are only medium.
		 */
		if ((m->pkeys & RK_AGENT) != 0) {
			if (!report(st, hit, CONF_HIGH, "monero-stratum"))
				return 0;
			print_copy(value, sizeof(value), m->agent);
			snprintf(hit->detail, sizeof(hit->detail),
			    "login agent=%s", value);
			return 1;
		}
		if ((m->pkeys & (RK_LOGIN | RK_PASS)) != (RK_LOGIN | RK_PASS))
			return 0;
		conf = (m->pkeys & (RK_ALGO | RK_RIGID)) != 0 ||
		    monero_address(m->login) ? CONF_HIGH : CONF_MEDIUM;
		if (!report(st, hit, conf, "monero-stratum"))
			return 0;
		print_copy(value, sizeof(value), m->login);
		snprintf(hit->detail, sizeof(hit->detail), "login user=%s",
		    value);
		return 1;
	case RPC_XMR_SUBMIT:
		/* A share: params {id, job_id, nonce, result}. */
		if ((m->pkeys & (RK_JOB_ID | RK_NONCE)) !=
		    (RK_JOB_ID | RK_NONCE))
			return 0;
		if (!report(st, hit, CONF_HIGH, "monero-stratum"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "submit job_id nonce");
		return 1;
	case RPC_XMR_JOB:
		/* New work from the pool: params {blob, job_id, target}. */
		if ((m->pkeys & (RK_BLOB | RK_TARGET)) != (RK_BLOB | RK_TARGET))
			return 0;
		if (!report(st, hit, CONF_HIGH, "monero-stratum"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "job blob target");
		return 1;
	case RPC_GBT:
		/*
		 * getblocktemplate (BIP 22) returns a block to mine and
		 * submitblock hands a mined one back: they exist for miners
		 * and pool servers, neither of which belongs on a notebook
		 * VM. Block explorers also call getblocktemplate (to show
		 * the next block), so alone it is medium; a template asked
		 * for a wallet_address (monerod's get_block_template, as
		 * XMRig's solo mode calls it) is a reward address: high.
		 */
		conf = (m->pkeys & RK_WALLET) != 0 ? CONF_HIGH : CONF_MEDIUM;
		if (!report(st, hit, conf, "getblocktemplate"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "%s%s", method,
		    conf == CONF_HIGH ? " wallet_address" : "");
		return 1;
	case RPC_GETWORK:
		/* Bitcoin's getwork (removed in Core 0.10, kept by altcoin
		 * daemons) hands a header to hash: mining only. */
		if (!report(st, hit, CONF_HIGH, "getwork"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "%s", method);
		return 1;
	}
	return 0;
}

/* Walks the newline-delimited JSON-RPC messages in b and reports the
 * strongest. */
static int
mining_json(struct heur_flow *st, const struct heur_pkt *p, const uint8_t *b,
    size_t len, struct heur_hit *hit)
{
	struct rpc_msg m;
	size_t off = 0, used;
	unsigned n;
	int found = 0;

	if (len > RPC_SCAN_MAX)
		len = RPC_SCAN_MAX;
	for (n = 0; n < RPC_MAX_MSGS; n++) {
		while (off < len && is_ws(b[off]))
			off++;
		if (off >= len || b[off] != '{')
			break;
		if ((used = rpc_scan(b + off, len - off, &m)) == 0)
			break;
		/* report() only fires when confidence rises, so the hit
		 * left in place is the strongest of the packet. */
		if (rpc_judge(st, p, &m, hit))
			found = 1;
		off += used;
	}
	return found;
}

/*
 * getwork, eth_getWork and getblocktemplate also travel as HTTP POSTs to
 * a node's JSON-RPC port: the body follows the blank line that ends the
 * header block. A body in a later packet starts with '{' and is scanned
 * by itself.
 */
static int
mining_http(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	size_t i, end;

	end = p->len < HTTP_HDR_MAX ? p->len : HTTP_HDR_MAX;
	for (i = 5; i + 4 <= end; i++)
		if (memcmp(p->data + i, "\r\n\r\n", 4) == 0)
			return mining_json(st, p, p->data + i + 4,
			    p->len - i - 4, hit);
	return 0;
}

/* ---- Bitcoin P2P ---- */

int
heur_mining(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	size_t i;

	/* Stratum and getwork run over TCP (node protocols: heur_node.c). */
	if (p->proto != 6 || p->data == NULL || p->len == 0)
		return 0;
	switch (p->data[0]) {
	case 'P':
		if (p->len > 5 && memcmp(p->data, "POST ", 5) == 0)
			return mining_http(st, p, hit);
		return 0;
	case '{':
		return mining_json(st, p, p->data, p->len, hit);
	case '\n':
	case ' ': case '\t': case '\r':
		/* a message after a stray line ending */
		for (i = 1; i < p->len && i < 8 && is_ws(p->data[i]); i++)
			;
		if (i < p->len && p->data[i] == '{')
			return mining_json(st, p, p->data + i, p->len - i,
			    hit);
		return 0;
	}
	return 0;
}
