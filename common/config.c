/*
 * config.c: the three readers of the option table (options.c): config
 * file, command line, defaults. Each row names its type, its bounds and its
 * default, so every way of setting a value goes through the same checks
 * and --help is generated from the same rows.
 */
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "vocab.h"
#include "util.h"

static const struct option_def *
find_option(const char *name)
{
	char norm[64];
	size_t i;

	if (str_copy(norm, name, sizeof(norm)) >= sizeof(norm))
		return NULL;
	for (i = 0; norm[i] != '\0'; i++)
		if (norm[i] == '-')
			norm[i] = '_';
	for (i = 0; i < noptions; i++)
		if (strcmp(options[i].name, norm) == 0)
			return &options[i];
	return NULL;
}

int
config_is_option(const char *name, int *takes_value)
{
	const struct option_def *o = find_option(name);

	if (o == NULL)
		return 0;
	if (takes_value != NULL)
		*takes_value = o->type != OPT_BOOL;
	return 1;
}

const char *
config_option_name(size_t i, int *takes_value)
{
	if (i >= noptions)
		return NULL;
	if (takes_value != NULL)
		*takes_value = options[i].type != OPT_BOOL;
	return options[i].name;
}

int
config_option_reloads(const char *name)
{
	const struct option_def *o = find_option(name);

	return o != NULL && o->reloads;
}

unsigned
config_option_modes(const char *name)
{
	const struct option_def *o = find_option(name);

	return o != NULL ? o->modes : 0;
}

size_t
config_misplaced(const struct config *cfg, unsigned mode,
    const char **names, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < noptions && i < CONFIG_MAX_OPTIONS; i++) {
		if (!cfg->given[i] || (options[i].modes & mode) != 0)
			continue;
		if (n < max)
			names[n] = options[i].name;
		n++;
	}
	return n;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
set_cidr_list(struct config *cfg, const char *value, char *err, size_t errlen)
{
	char buf[4096], *p, *item;

	if (str_copy(buf, value, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "vm_networks: list too long");
		return -1;
	}
	for (p = buf; p != NULL; p = item) {
		char *tok = p;

		item = strpbrk(p, ", \t");
		if (item != NULL)
			*item++ = '\0';
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		if (cfg->n_vm_networks == CONFIG_MAX_VM_NETWORKS) {
			snprintf(err, errlen, "vm_networks: more than %d networks",
			    CONFIG_MAX_VM_NETWORKS);
			return -1;
		}
		if (cidr_parse(tok, &cfg->vm_networks[cfg->n_vm_networks]) == -1) {
			snprintf(err, errlen, "vm_networks: '%s' is not an address "
			    "or CIDR", tok);
			return -1;
		}
		cfg->n_vm_networks++;
	}
	return 0;
}

static int
set_path_list(struct config *cfg, const char *value, char *err, size_t errlen)
{
	char buf[4096], *p, *next, *tok;

	if (str_copy(buf, value, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "rule_files: list too long");
		return -1;
	}
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		tok = str_trim(p);
		if (*tok == '\0')
			continue;
		if (cfg->n_rule_files == CONFIG_MAX_RULE_FILES) {
			snprintf(err, errlen, "rule_files: more than %d files",
			    CONFIG_MAX_RULE_FILES);
			return -1;
		}
		if (str_copy(cfg->rule_files[cfg->n_rule_files], tok,
		    CONFIG_PATH_MAX) >= CONFIG_PATH_MAX) {
			snprintf(err, errlen, "rule_files: path longer than %d "
			    "bytes", CONFIG_PATH_MAX - 1);
			return -1;
		}
		cfg->n_rule_files++;
	}
	return 0;
}

/* A comma list of verdict categories into a bit mask (bit = category). */
static int
set_categories(unsigned *mask, const char *name, const char *value, char *err,
    size_t errlen)
{
	char buf[256], *p, *next, *tok;
	enum policy_category c;

	if (str_copy(buf, value, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: list too long", name);
		return -1;
	}
	*mask = 0;
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		tok = str_trim(p);
		if (*tok == '\0')
			continue;
		c = policy_category_parse(tok);
		if (c == CAT_N || c == CAT_NONE) {
			snprintf(err, errlen, "%s: '%s' is not a category (p2p, "
			    "mining, remote_access, proxy, dos, scan, bruteforce)",
			    name, tok);
			return -1;
		}
		*mask |= 1u << c;
	}
	return 0;
}

static int
set_option(struct config *cfg, const struct option_def *o, const char *value,
    char *err, size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	long l;
	uint64_t us;
	int b;

	switch (o->type) {
	case OPT_INT:
		if (parse_long(value, (long)o->min, (long)o->max, &l) == -1) {
			snprintf(err, errlen, "%s: '%s' is not a whole number from "
			    "%lld to %lld", o->name, value, o->min, o->max);
			return -1;
		}
		memcpy(field, &l, sizeof(l));
		return 0;
	case OPT_DURATION:
		if (parse_duration_us(value, (uint64_t)o->min, (uint64_t)o->max,
		    &us) == -1) {
			char lo[32], hi[32];

			format_duration_us((uint64_t)o->min, lo, sizeof(lo));
			format_duration_us((uint64_t)o->max, hi, sizeof(hi));
			snprintf(err, errlen, "%s: '%s' is not a duration from "
			    "%s to %s (units: ms, s, m, h, d)", o->name, value,
			    lo, hi);
			return -1;
		}
		memcpy(field, &us, sizeof(us));
		return 0;
	case OPT_BOOL:
		if (parse_bool(value, &b) == -1) {
			snprintf(err, errlen, "%s: '%s' is not yes or no", o->name,
			    value);
			return -1;
		}
		memcpy(field, &b, sizeof(b));
		return 0;
	case OPT_CIDR_LIST:
		return set_cidr_list(cfg, value, err, errlen);
	case OPT_PATH:
	case OPT_TEXT:
		if (str_copy(field, value, CONFIG_PATH_MAX) >= CONFIG_PATH_MAX) {
			snprintf(err, errlen, "%s: longer than %d bytes",
			    o->name, CONFIG_PATH_MAX - 1);
			return -1;
		}
		return 0;
	case OPT_CHOICE:
		for (b = 0; choices_of(o)[b] != NULL; b++) {
			if (strcmp(value, choices_of(o)[b]) == 0) {
				memcpy(field, &b, sizeof(b));
				return 0;
			}
		}
		snprintf(err, errlen, "%s: '%s' is not one of:", o->name, value);
		for (b = 0; choices_of(o)[b] != NULL; b++) {
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, " %s", choices_of(o)[b]);
		}
		return -1;
	case OPT_PATH_LIST:
		return set_path_list(cfg, value, err, errlen);
	case OPT_CATEGORIES:
		return set_categories((unsigned *)(void *)field, o->name, value,
		    err, errlen);
	}
	return -1;
}

void
config_defaults(struct config *cfg)
{
	char err[256];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < noptions; i++)
		if (set_option(cfg, &options[i], options[i].defval, err,
		    sizeof(err)) == -1)
			abort();	/* a bad default is a programming error */
}

int
config_set(struct config *cfg, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct option_def *o = find_option(name);

	if (o == NULL) {
		snprintf(err, errlen, "unknown option '%s'", name);
		return -1;
	}
	if ((size_t)(o - options) < CONFIG_MAX_OPTIONS)
		cfg->given[o - options] = 1;
	return set_option(cfg, o, value, err, errlen);
}

int
config_build(struct config *cfg, const char *path, const char *const *names,
    const char *const *values, size_t n, char *err, size_t errlen)
{
	char why[512];
	size_t i;

	config_defaults(cfg);
	if (path != NULL && config_load(cfg, path, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (config_set(cfg, names[i], values[i], why, sizeof(why)) == -1) {
			snprintf(err, errlen, "command line: %s", why);
			return -1;
		}
	}
	return 0;
}

struct load_ctx {
	struct config *cfg;
	FILE *fp;
	int lineno;		/* lines read so far */
	int err_line;		/* line of the first error found here, or 0 */
	char msg[256];		/* that error's message */
};

static void
load_error(struct load_ctx *ctx, const char *msg)
{
	if (ctx->err_line == 0) {
		ctx->err_line = ctx->lineno;
		str_copy(ctx->msg, msg, sizeof(ctx->msg));
	}
}

/* inih's reader: one line of the file per call, counted, so an error can
 * name its own line. Read a byte at a time, so that a NUL byte (which
 * would silently end the line for a string reader) is an error, as are a
 * line longer than inih's buffer and a [section] line (inih reports a
 * section only through the keys after it, with their line numbers). */
static char *
read_line(char *buf, int size, void *arg)
{
	struct load_ctx *ctx = arg;
	char err[64];
	const char *start;
	int nul, long_line;

	if (file_read_line(ctx->fp, buf, (size_t)size, &nul, &long_line) == -1)
		return NULL;
	ctx->lineno++;
	start = buf + strspn(buf, " \t");
	if (*start == '#' || *start == ';')
		return buf;	/* a comment may hold anything */
	if (nul)
		load_error(ctx, "a NUL byte");
	else if (long_line) {
		snprintf(err, sizeof(err), "line longer than %d characters",
		    size - 2);
		load_error(ctx, err);
	} else if (*start == '[') {
		load_error(ctx, "sections are not used: every key belongs "
		    "to the main settings");
	} else {
		return buf;
	}
	buf[0] = '\0';
	return buf;
}

static int
on_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *ctx = user;
	char err[256];

	if (section[0] != '\0') {
		snprintf(err, sizeof(err), "unknown section [%s]", section);
	} else if (config_set(ctx->cfg, name, value, err, sizeof(err)) == 0) {
		return 1;
	}
	load_error(ctx, err);
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct load_ctx ctx = { .cfg = cfg };
	int line, read_error;

	if ((ctx.fp = file_fopen_regular(path, err, errlen)) == NULL)
		return -1;
	/* inih returns the first line it found wrong, by its syntax or by the
	 * handler; ctx has the first line found wrong here, with why. */
	line = ini_parse_stream(read_line, &ctx, on_ini_line, &ctx);
	read_error = ferror(ctx.fp);
	fclose(ctx.fp);
	if (line < 0 || read_error)
		snprintf(err, errlen, "%s: cannot be read", path);
	else if (ctx.err_line != 0 && (line == 0 || ctx.err_line <= line))
		snprintf(err, errlen, "%s:%d: %s", path, ctx.err_line, ctx.msg);
	else if (line > 0)
		snprintf(err, errlen, "%s:%d: not a 'key = value' line or "
		    "[section]", path, line);
	else
		return 0;
	return -1;
}

/* Where an option's value lives in cfg, and how many bytes it takes. A list
 * option comes with its count. */
static void
option_storage(const struct config *cfg, const struct option_def *o,
    const void **p, size_t *len, const void **count, size_t *clen)
{
	const char *base = (const char *)cfg;

	*count = NULL;
	*clen = 0;
	switch (o->type) {
	case OPT_INT:
		*p = base + o->offset, *len = sizeof(long);
		break;
	case OPT_DURATION:
		*p = base + o->offset, *len = sizeof(uint64_t);
		break;
	case OPT_BOOL:
	case OPT_CHOICE:
		*p = base + o->offset, *len = sizeof(int);
		break;
	case OPT_CATEGORIES:
		*p = base + o->offset, *len = sizeof(unsigned);
		break;
	case OPT_PATH:
	case OPT_TEXT:
		*p = base + o->offset, *len = CONFIG_PATH_MAX;
		break;
	case OPT_CIDR_LIST:
		*p = cfg->vm_networks, *len = sizeof(cfg->vm_networks);
		*count = &cfg->n_vm_networks, *clen = sizeof(size_t);
		break;
	case OPT_PATH_LIST:
		*p = cfg->rule_files, *len = sizeof(cfg->rule_files);
		*count = &cfg->n_rule_files, *clen = sizeof(size_t);
		break;
	}
}

int
config_changed(const struct config *a, const struct config *b,
    const char *name)
{
	const struct option_def *o = find_option(name);
	const void *pa, *pb, *ca, *cb;
	size_t len, clen;

	if (o == NULL)
		return 0;
	option_storage(a, o, &pa, &len, &ca, &clen);
	option_storage(b, o, &pb, &len, &cb, &clen);
	if (o->type == OPT_PATH || o->type == OPT_TEXT)
		return strcmp(pa, pb) != 0;
	return memcmp(pa, pb, len) != 0 || (ca != NULL && memcmp(ca, cb, clen));
}

void
config_copy_option(struct config *dst, const struct config *src,
    const char *name)
{
	const struct option_def *o = find_option(name);
	const void *pd, *ps, *cd, *cs;
	size_t len, clen;

	if (o == NULL)
		return;
	option_storage(dst, o, &pd, &len, &cd, &clen);
	option_storage(src, o, &ps, &len, &cs, &clen);
	/* The storage is dst's own: the const came from option_storage. */
	memcpy((void *)(uintptr_t)pd, ps, len);
	if (cd != NULL)
		memcpy((void *)(uintptr_t)cd, cs, clen);
}

void
config_usage(FILE *fp)
{
	char name[64];
	size_t i, j;

	for (i = 0; i < noptions; i++) {
		const struct option_def *o = &options[i];

		str_copy(name, o->name, sizeof(name));
		for (j = 0; name[j] != '\0'; j++)
			if (name[j] == '_')
				name[j] = '-';
		static const char *const arg[] = {
			[OPT_INT] = " N", [OPT_DURATION] = " TIME",
			[OPT_BOOL] = "[=no]", [OPT_CIDR_LIST] = " CIDR,...",
			[OPT_PATH] = " PATH", [OPT_PATH_LIST] = " PATH,...",
			[OPT_CATEGORIES] = " CATEGORY,...",
			[OPT_TEXT] = " TEXT", [OPT_CHOICE] = " NAME",
		};
		char left[96];

		snprintf(left, sizeof(left), "--%s%s", name, arg[o->type]);
		fprintf(fp, "  %-30s %s", left, o->help);
		if (o->defval[0] != '\0')
			fprintf(fp, " [%s]", o->defval);
		fputc('\n', fp);
	}
}

/* A URL without what may be a credential: user:password@ and the query
 * string are shown as "***". */
static void
print_url(FILE *fp, const char *name, const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash, *query;

	host = host != NULL ? host + 3 : url;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
	query = strchr(url, '?');
	fprintf(fp, "%s = %.*s", name, (int)(host - url), url);
	if (at != NULL) {
		fputs("***@", fp);
		host = at + 1;
	}
	fprintf(fp, "%.*s%s\n", (int)((query != NULL ? query : url +
	    strlen(url)) - host), host, query != NULL ? "?***" : "");
}

void
config_dump(const struct config *cfg, FILE *fp)
{
	char buf[64];
	size_t i;

	for (i = 0; i < noptions; i++) {
		const struct option_def *o = &options[i];
		const char *field = (const char *)cfg + o->offset;
		long l;
		uint64_t us;
		int b;

		switch (o->type) {
		case OPT_INT:
			memcpy(&l, field, sizeof(l));
			fprintf(fp, "%s = %ld\n", o->name, l);
			break;
		case OPT_DURATION:
			memcpy(&us, field, sizeof(us));
			if (us % SEC == 0)
				fprintf(fp, "%s = %llus\n", o->name,
				    (unsigned long long)(us / SEC));
			else
				fprintf(fp, "%s = %llums\n", o->name,
				    (unsigned long long)(us / 1000));
			break;
		case OPT_BOOL:
			memcpy(&b, field, sizeof(b));
			fprintf(fp, "%s = %s\n", o->name, b ? "yes" : "no");
			break;
		case OPT_PATH:
			fprintf(fp, "%s = %s\n", o->name, field);
			break;
		case OPT_TEXT:
			if (strcmp(o->name, "webhook") == 0)
				print_url(fp, o->name, field);
			else
				fprintf(fp, "%s = %s\n", o->name, field);
			break;
		case OPT_CHOICE:
			memcpy(&b, field, sizeof(b));
			fprintf(fp, "%s = %s\n", o->name, choices_of(o)[b]);
			break;
		case OPT_CATEGORIES: {
			unsigned mask;
			int c, n = 0;

			memcpy(&mask, field, sizeof(mask));
			fprintf(fp, "%s =", o->name);
			for (c = 1; c < CAT_N; c++)
				if (mask & (1u << c))
					fprintf(fp, "%s%s", n++ ? ", " : " ",
					    policy_category_name((enum policy_category)c));
			fputc('\n', fp);
			break;
		}
		case OPT_PATH_LIST:
			fprintf(fp, "%s =", o->name);
			for (l = 0; l < (long)cfg->n_rule_files; l++)
				fprintf(fp, "%s%s", l ? ", " : " ", cfg->rule_files[l]);
			fputc('\n', fp);
			break;
		case OPT_CIDR_LIST:
			fprintf(fp, "%s =", o->name);
			for (l = 0; l < (long)cfg->n_vm_networks; l++) {
				cidr_format(&cfg->vm_networks[l], buf, sizeof(buf));
				fprintf(fp, "%s%s", l ? ", " : " ", buf);
			}
			fputc('\n', fp);
			break;
		}
	}
}
