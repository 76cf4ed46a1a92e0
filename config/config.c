/*
 * config.c - the INI loader (libinih), its defaults and its validation.
 *
 * Never lets an unknown key pass silently: a typo in a cron job's config must
 * stop the run with the file and line, not change what gets ingested.
 */
#include "config.h"
#include "buf.h"
#include "config_check.h"
#include "conninfo_mask.h"
#include "log.h"
#include "paths.h" /* RP_DATADIR, RP_SYSCONFDIR: generated from the Makefile's install paths */

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <ini.h>
#include <libpq-fe.h>
#include <limits.h>
#include <regex.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/*
 * The built-in default ingests the bundled sample report into the
 * project-local database. @EXAMPLES@ becomes config_examples_dir().
 */
static const char builtin_config[] = "[database]\n"
				     "conninfo =\n"
				     "[pipeline]\n"
				     "workers = 1\n"
				     "[source \"shaoguan-2020-fazhi\"]\n"
				     "url = file://@EXAMPLES@/reports/shaoguan-2020-fazhi.txt\n";

/* A section header or key already seen, and where. */
struct seen {
	char *name;
	int line;
};

struct load_ctx {
	struct config *cfg;
	char err[512];
	int err_line;
	int line; /* the line inih is handling now, counted by config_reader */
	FILE *fp; /* the file being read, or NULL when reading text */
	const char *text;
	/* values too long for libinih's fixed line buffer, handed over out of band */
	char **long_values;
	size_t nlong;
	struct seen *sections; /* the sections other than sources, each allowed once */
	size_t nsections;
	struct seen *keys; /* the keys of the section being read, each allowed once */
	size_t nkeys;
};

/* Marks a value that stands in for ctx->long_values[N]: "\x1bN". */
#define LONG_VALUE_MARK '\x1b'

/*
 * The source tree the running binary was built in (build/reportpipe,
 * build/san/reportpipe, a test under build/san/tests/unit), or NULL for an
 * installed binary. The tree is known by its examples/ and its example config.
 */
static const char *
config_checkout_dir(void)
{
	static char root[PATH_MAX];
	static int looked;
	char exe[PATH_MAX], probe[PATH_MAX + 64];
	struct stat st;
	ssize_t n;

	if (looked)
		return root[0] ? root : NULL;
	looked = 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* the binary's directory and four above it: build/san/tests/unit/X is the deepest */
	for (int up = 0; up <= 4; up++) {
		char *s = strrchr(exe, '/');
		if (s == NULL || s == exe)
			break;
		*s = '\0';
		int len = snprintf(probe, sizeof(probe), "%s/config/reportpipe.conf.example", exe);
		if (len < 0 || (size_t)len >= sizeof(probe) || stat(probe, &st) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(probe, sizeof(probe), "%s/examples", exe);
		if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode) && strlen(exe) < sizeof(root)) {
			strcpy(root, exe);
			return root;
		}
	}
	return NULL;
}

/* The installed default config, as config_choose_path last made it. */
static char default_path[PATH_MAX];

const char *
config_choose_path(const char *explicit_path)
{
	const char *env, *etc;

	if (explicit_path)
		return explicit_path;
	env = getenv("REPORTPIPE_CONFIG");
	if (env && *env)
		return env;
	etc = getenv("REPORTPIPE_SYSCONFDIR");
	if (etc == NULL || *etc == '\0') {
		/* a checkout keeps its zero-setup default, so that `make run` needs no config */
		if (config_checkout_dir())
			return NULL;
		etc = RP_SYSCONFDIR;
	}
	/* a directory too long is cut short, and opening the cut path fails naming it */
	snprintf(default_path, sizeof(default_path), "%s/reportpipe/reportpipe.conf", etc);
	return default_path;
}

const char *
config_examples_dir(void)
{
	static char dir[PATH_MAX + 16];
	const char *root = config_checkout_dir();

	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "%s/examples", root ? root : RP_DATADIR);
	return dir;
}

int
config_parse_size(const char *text, size_t *out)
{
	const char *p = text;
	char *end;

	/* digits with an optional fraction: no sign, space, hex or exponent for strtod to take */
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	errno = 0;
	double v = strtod(text, &end);
	if (end != p || errno || !(v >= 0)) /* !(v >= 0) also refuses NaN */
		return -1;
	while (isspace((unsigned char)*end))
		end++;
	double mult = 1;
	if (*end) {
		static const struct {
			const char *suffix;
			double mult;
		} units[] = {
		    {"b", 1},	    {"k", 1024},	   {"kb", 1e3},	     {"kib", 1024},
		    {"m", 1048576}, {"mb", 1e6},	   {"mib", 1048576}, {"g", 1073741824.0},
		    {"gb", 1e9},    {"gib", 1073741824.0},
		};
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcasecmp(end, units[i].suffix) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -1;
		mult = units[i].mult;
	}
	v *= mult;
	if (!(v >= 1) || v > (double)SIZE_MAX / 2)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* A decimal integer in [min, max]: digits only (a '-' first when min < 0). */
static int
config_parse_int(const char *text, int min, int max, int *out)
{
	const char *p = text + (min < 0 && *text == '-');
	char *end;

	if (!isdigit((unsigned char)*p) || p[strspn(p, "0123456789")] != '\0')
		return -1;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
config_parse_bool(const char *text, int *out)
{
	static const char *const yes[] = {"on", "yes", "true", "1"}, *const no[] = {"off", "no",
										    "false", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* Only these schemes are ever fetched; anything else is refused at load time. */
static int
config_check_url(const char *url, char *why, size_t whylen)
{
	CURLU *h = curl_url();
	char *scheme = NULL;
	int rc = -1;

	if (h == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	CURLUcode uc = curl_url_set(h, CURLUPART_URL, url, 0);
	if (uc != CURLUE_OK) {
		snprintf(why, whylen, "malformed url '%s': %s", url, curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(h, CURLUPART_SCHEME, &scheme, 0);
	if (scheme == NULL || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0 &&
			       strcmp(scheme, "file") != 0)) {
		snprintf(why, whylen,
			 "url '%s' has scheme '%s'; only http, https and file are fetched", url,
			 scheme ? scheme : "");
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_url_cleanup(h);
	return rc;
}

static int config_fail(struct load_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
config_fail(struct load_ctx *ctx, const char *fmt, ...)
{
	if (ctx->err[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
		va_end(ap);
		ctx->err_line = ctx->line;
	}
	return 0;
}

static void
config_set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
}

/* "source \"name\"" -> name, or NULL when the section is not a source. */
static int
config_source_name(const char *section, char *name, size_t cap)
{
	const char *p;
	size_t n;

	if (strncmp(section, "source", 6) != 0)
		return -1;
	p = section + 6;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '"')
		return -1;
	p++;
	n = strcspn(p, "\"");
	if (p[n] != '"' || p[n + 1] != '\0' || n == 0 || n >= cap)
		return -1;
	memcpy(name, p, n);
	name[n] = '\0';
	return 0;
}

/* The source called name, or NULL. */
static struct source *
config_source_find(struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsources; i++)
		if (strcmp(cfg->sources[i].name, name) == 0)
			return &cfg->sources[i];
	return NULL;
}

/* The source called name, created (as first seen at line) when new. */
static struct source *
config_source_get(struct config *cfg, const char *name, int line)
{
	struct source *found = config_source_find(cfg, name);
	if (found)
		return found;
	cfg->sources = xreallocarray(cfg->sources, cfg->nsources + 1, sizeof(struct source));
	struct source *src = &cfg->sources[cfg->nsources++];
	memset(src, 0, sizeof(*src));
	src->name = xstrdup(name);
	src->line = line;
	src->robots = 1;
	return src;
}

static int
config_source_key(struct load_ctx *ctx, const char *section, const char *key, const char *value)
{
	struct config *cfg = ctx->cfg;
	char name[128];

	if (config_source_name(section, name, sizeof(name)) < 0)
		return config_fail(ctx, "bad section [%s]: a source is written [source \"name\"]",
				   section);
	struct source *src = config_source_get(cfg, name, ctx->line);
	if (strcmp(key, "url") == 0 || strcmp(key, "index") == 0) {
		char why[600];
		char **slot = key[0] == 'u' ? &src->url : &src->index;
		if (config_check_url(value, why, sizeof(why)) < 0)
			return config_fail(ctx, "source \"%s\": key '%s': %s", name, key, why);
		*slot = xstrdup(value);
		return 1;
	}
	if (strcmp(key, "link_pattern") == 0 || strcmp(key, "next_pattern") == 0) {
		regex_t re;
		int rc = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			char why[256];
			regerror(rc, &re, why, sizeof(why));
			return config_fail(ctx, "source \"%s\": key '%s': bad pattern '%s': %s",
					   name, key, value, why);
		}
		regfree(&re);
		config_set_str(key[0] == 'l' ? &src->link_pattern : &src->next_pattern, value);
		return 1;
	}
	if (strcmp(key, "max_pages") == 0) {
		if (config_parse_int(value, 1, 1000, &src->max_pages) < 0)
			return config_fail(ctx,
					   "source \"%s\": key 'max_pages': '%s' is not 1..1000",
					   name, value);
		return 1;
	}
	if (strcmp(key, "max_links") == 0) {
		if (config_parse_int(value, 1, 1000000, &src->max_links) < 0)
			return config_fail(ctx,
					   "source \"%s\": key 'max_links': '%s' is not 1..1000000",
					   name, value);
		return 1;
	}
	if (strcmp(key, "allow_hosts") == 0) {
		/* a list separated by spaces or commas */
		char *copy = xstrdup(value), *save = NULL, *norm;
		for (char *h = strtok_r(copy, " ,\t", &save); h;
		     h = strtok_r(NULL, " ,\t", &save)) {
			if (config_check_host(h, &norm) < 0) {
				config_fail(
				    ctx,
				    "source \"%s\": key 'allow_hosts': '%s' is not a host name"
				    " (letters, digits and hyphens, with dots; an international"
				    " name in its xn-- form), an IPv4 or IPv6 address, or one of"
				    " these with :PORT",
				    name, h);
				free(copy);
				return 0;
			}
			src->allow_hosts =
			    xreallocarray(src->allow_hosts, src->nallow_hosts + 1, sizeof(char *));
			src->allow_hosts[src->nallow_hosts++] = norm;
		}
		free(copy);
		return 1;
	}
	if (strcmp(key, "robots") == 0) {
		if (config_parse_bool(value, &src->robots) < 0)
			return config_fail(
			    ctx, "source \"%s\": key 'robots': '%s' is not on or off", name, value);
		return 1;
	}
	if (strcmp(key, "content_xpath") == 0) {
		char why[200];
		if (*value && config_check_xpath(value, why) < 0)
			return config_fail(
			    ctx, "source \"%s\": key 'content_xpath': '%s' is not an XPath: %s",
			    name, value, why);
		config_set_str(&src->parse.content_xpath, value);
		return 1;
	}
	return config_fail(ctx, "unknown key '%s' in [source \"%s\"]", key, name);
}

/* How a key of [database], [pipeline] or [fetch] is read into struct config. */
enum key_type {
	KEY_STR,	/* any text, "" allowed */
	KEY_FILE,	/* a readable file; "" leaves the field NULL */
	KEY_NONEMPTY,	/* text that may not be empty */
	KEY_INT,	/* an integer in [min, max] */
	KEY_SIZE,	/* a size such as 64MiB */
	KEY_WORKERS,	/* "auto" or an integer in [min, max] */
	KEY_ENDPOINT,	/* "" or a ZeroMQ tcp:// or ipc:// endpoint */
	KEY_CONNINFO,	/* a libpq connection string, "" allowed */
	KEY_CURVE,	/* "" or a 40-character Z85 CURVE key */
	KEY_CURVE_LIST, /* Z85 CURVE keys separated by spaces */
};

struct key_spec {
	const char *section;
	const char *key;
	enum key_type type;
	size_t offset; /* of the field in struct config */
	int min, max;
};

#define KEY(sec, name, type, min, max)                                                             \
	{                                                                                          \
		sec, #name, type, offsetof(struct config, name), min, max                          \
	}

static const struct key_spec global_keys[] = {
    KEY("database", conninfo, KEY_CONNINFO, 0, 0),
    KEY("database", outage_timeout, KEY_INT, 0, 86400),
    KEY("pipeline", workers, KEY_WORKERS, 1, 256),
    KEY("pipeline", state_dir, KEY_NONEMPTY, 0, 0),
    KEY("pipeline", spool_dir, KEY_NONEMPTY, 0, 0),
    KEY("pipeline", lease_ms, KEY_INT, 100, 86400000),
    KEY("pipeline", max_attempts, KEY_INT, 1, 100),
    KEY("pipeline", stale_after, KEY_INT, 0, 31536000),
    KEY("pipeline", parse_timeout_ms, KEY_INT, 10, 86400000),
    KEY("pipeline", drain_timeout, KEY_INT, 0, 86400),
    KEY("pipeline", metrics_file, KEY_STR, 0, 0),
    KEY("fetch", user_agent, KEY_NONEMPTY, 0, 0),
    KEY("fetch", per_host_concurrency, KEY_INT, 1, 64),
    KEY("fetch", per_host_delay_ms, KEY_INT, 0, 3600000),
    KEY("fetch", max_bytes, KEY_SIZE, 0, 0),
    KEY("fetch", max_connections, KEY_INT, 1, 1024),
    KEY("fetch", connect_timeout_ms, KEY_INT, 100, 600000),
    KEY("fetch", timeout_ms, KEY_INT, 100, 86400000),
    KEY("fetch", low_speed_bytes, KEY_INT, 0, 1 << 30),
    KEY("fetch", low_speed_seconds, KEY_INT, 1, 3600),
    KEY("fetch", max_retries, KEY_INT, 0, 100),
    KEY("fetch", retry_budget, KEY_INT, 0, 1000000),
    KEY("fetch", retry_max_delay_ms, KEY_INT, 0, 3600000),
    KEY("fetch", ca_file, KEY_FILE, 0, 0),
    KEY("network", jobs_bind, KEY_ENDPOINT, 0, 0),
    KEY("network", jobs_connect, KEY_ENDPOINT, 0, 0),
    KEY("network", results_bind, KEY_ENDPOINT, 0, 0),
    KEY("network", results_connect, KEY_ENDPOINT, 0, 0),
    KEY("network", control_bind, KEY_ENDPOINT, 0, 0),
    KEY("network", control_connect, KEY_ENDPOINT, 0, 0),
    KEY("network", curve_secret_key, KEY_CURVE, 0, 0),
    KEY("network", curve_server_key, KEY_CURVE, 0, 0),
    KEY("network", curve_client_keys, KEY_CURVE_LIST, 0, 0),
};

/* The keys of a [source "name"] section (handled by config_source_key). */
static const char *const source_keys[] = {
    "url",	 "index",	"link_pattern", "next_pattern",	 "max_pages",
    "max_links", "allow_hosts", "robots",	"content_xpath",
};

const char *const *
config_known_keys(void)
{
	enum {
		N = sizeof(global_keys) / sizeof(global_keys[0]),
		M = sizeof(source_keys) / sizeof(source_keys[0])
	};
	static char names[N + M][64];
	static const char *list[N + M + 1];

	if (list[0] == NULL) {
		for (size_t i = 0; i < N; i++) {
			snprintf(names[i], sizeof(names[i]), "%s.%s", global_keys[i].section,
				 global_keys[i].key);
			list[i] = names[i];
		}
		for (size_t i = 0; i < M; i++) {
			snprintf(names[N + i], sizeof(names[N + i]), "source.%s", source_keys[i]);
			list[N + i] = names[N + i];
		}
	}
	return list;
}

/* 0 when text is "" or Z85 CURVE keys (one, or several separated by spaces when many). */
static int
config_check_curve_keys(const char *text, int many)
{
	int n = 0;
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, " \t");
		if (len == 0) {
			p++;
			continue;
		}
		char key[41];
		uint8_t raw[32];
		if (len != 40 || (n > 0 && !many))
			return -1;
		memcpy(key, p, 40);
		key[40] = '\0';
		if (zmq_z85_decode(raw, key) == NULL)
			return -1;
		n++;
		p += len;
	}
	return 0;
}

static int
config_set_global(struct load_ctx *ctx, const struct key_spec *k, const char *value)
{
	char *field = (char *)ctx->cfg + k->offset;

	switch (k->type) {
	case KEY_NONEMPTY:
		if (*value == '\0')
			return config_fail(ctx, "key '%s' is empty", k->key);
		/* fall through */
	case KEY_STR:
		config_set_str((char **)(void *)field, value);
		return 1;
	case KEY_FILE: {
		char why[PATH_MAX + 100];
		char **slot = (char **)(void *)field;
		free(*slot);
		*slot = NULL;
		if (*value == '\0')
			return 1;
		if (config_check_readable(value, why, sizeof(why)) < 0)
			return config_fail(ctx, "key '%s': %s", k->key, why);
		*slot = xstrdup(value);
		return 1;
	}
	case KEY_WORKERS:
		if (strcmp(value, "auto") == 0) {
			long n = sysconf(_SC_NPROCESSORS_ONLN);
			*(int *)(void *)field = n < 1 ? 1 : n > 64 ? 64 : (int)n;
			return 1;
		}
		/* fall through */
	case KEY_INT:
		if (config_parse_int(value, k->min, k->max, (int *)(void *)field) < 0)
			return config_fail(ctx, "key '%s': '%s' is not %s%d..%d", k->key, value,
					   k->type == KEY_WORKERS ? "'auto' or " : "", k->min,
					   k->max);
		return 1;
	case KEY_SIZE:
		if (config_parse_size(value, (size_t *)(void *)field) < 0)
			return config_fail(ctx, "key '%s': '%s' is not a size such as 64MiB",
					   k->key, value);
		return 1;
	case KEY_CONNINFO: {
		char *err = NULL;
		PQconninfoOption *opts = PQconninfoParse(value, &err);
		if (opts == NULL) {
			/* libpq's message quotes the string, password and all: show it masked */
			char *masked = conninfo_masked(value);
			config_fail(ctx, "key '%s': \"%s\" is not a libpq connection string",
				    k->key, masked);
			free(masked);
			PQfreemem(err);
			return 0;
		}
		PQconninfoFree(opts);
		config_set_str((char **)(void *)field, value);
		return 1;
	}
	case KEY_ENDPOINT: {
		char why[300];
		if (config_check_endpoint(value, why, sizeof(why)) < 0)
			return config_fail(
			    ctx,
			    "key '%s': '%s' is not a tcp://HOST:PORT or ipc://PATH endpoint: %s",
			    k->key, value, why);
		config_set_str((char **)(void *)field, value);
		return 1;
	}
	case KEY_CURVE:
	case KEY_CURVE_LIST:
		if (config_check_curve_keys(value, k->type == KEY_CURVE_LIST) < 0)
			/* never echo the value: it may be a secret key */
			return config_fail(
			    ctx, "key '%s' is not %s (reportpipe keygen makes one)", k->key,
			    k->type == KEY_CURVE_LIST ? "a list of 40-character Z85 CURVE keys"
						      : "a 40-character Z85 CURVE key");
		config_set_str((char **)(void *)field, value);
		return 1;
	}
	return 0;
}

static int
config_handler(void *user, const char *section, const char *key, const char *value)
{
	struct load_ctx *ctx = user;

	if (key == NULL)
		return 1; /* a section header alone (inih >= 50 reports these) */
	if (value[0] == LONG_VALUE_MARK) {
		size_t idx = (size_t)strtoul(value + 1, NULL, 10);
		if (idx >= ctx->nlong)
			return config_fail(ctx, "key '%s': malformed value", key);
		value = ctx->long_values[idx];
	}
	for (size_t i = 0; i < ctx->nkeys; i++)
		if (strcmp(ctx->keys[i].name, key) == 0)
			return config_fail(ctx, "key '%s' given twice in [%s] (first at %s:%d)",
					   key, section, ctx->cfg->path, ctx->keys[i].line);
	ctx->keys = xreallocarray(ctx->keys, ctx->nkeys + 1, sizeof(struct seen));
	ctx->keys[ctx->nkeys++] = (struct seen){xstrdup(key), ctx->line};
	if (strncmp(section, "source", 6) == 0)
		return config_source_key(ctx, section, key, value);

	int known_section = 0;
	for (size_t i = 0; i < sizeof(global_keys) / sizeof(global_keys[0]); i++) {
		const struct key_spec *k = &global_keys[i];
		if (strcmp(section, k->section) != 0)
			continue;
		known_section = 1;
		if (strcmp(key, k->key) == 0)
			return config_set_global(ctx, k, value);
	}
	if (known_section)
		return config_fail(ctx, "unknown key '%s' in [%s]", key, section);
	return config_fail(ctx, "unknown section [%s] (key '%s')", section, key);
}

static struct config *
config_defaults(void)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	cfg->conninfo = xstrdup("");
	cfg->workers = 1;
	cfg->state_dir = xstrdup("var");
	cfg->lease_ms = 300000;
	cfg->max_attempts = 3;
	cfg->stale_after = 172800;
	cfg->parse_timeout_ms = 60000;
	cfg->drain_timeout = 30;
	cfg->outage_timeout = 600;
	cfg->metrics_file = xstrdup("");
	cfg->jobs_bind = xstrdup("");
	cfg->jobs_connect = xstrdup("");
	cfg->results_bind = xstrdup("");
	cfg->results_connect = xstrdup("");
	cfg->control_bind = xstrdup("");
	cfg->control_connect = xstrdup("");
	cfg->curve_secret_key = xstrdup("");
	cfg->curve_server_key = xstrdup("");
	cfg->curve_client_keys = xstrdup("");
	cfg->user_agent =
	    xstrdup("reportpipe/" RP_VERSION " (+https://example.invalid/reportpipe)");
	cfg->per_host_concurrency = 2;
	cfg->per_host_delay_ms = 1000;
	cfg->max_bytes = 64u * 1024 * 1024;
	cfg->connect_timeout_ms = 10000;
	cfg->timeout_ms = 300000;
	cfg->low_speed_bytes = 100;
	cfg->low_speed_seconds = 60;
	cfg->max_connections = 16;
	cfg->max_retries = 4;
	cfg->retry_budget = 100;
	cfg->retry_max_delay_ms = 60000;
	return cfg;
}

/* Checks that need the whole file: every source complete. */
static int
config_validate(struct config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source *src = &cfg->sources[i];
		const char *why = NULL;
		if (src->url == NULL && src->index == NULL)
			why = "has neither 'url' nor 'index'";
		else if (src->url && src->index)
			why = "has both 'url' and 'index'; it is one or the other";
		else if (src->index && src->link_pattern == NULL)
			why = "is an index without a 'link_pattern'";
		else if (src->url && (src->link_pattern || src->next_pattern || src->nallow_hosts))
			why = "has index keys (link_pattern, next_pattern, allow_hosts) but no "
			      "'index'";
		if (why) {
			fprintf(stderr, "%s:%d: source \"%s\" %s\n", path, src->line, src->name,
				why);
			return -1;
		}
		if (src->max_pages == 0)
			src->max_pages = 1;
	}
	if ((*cfg->curve_secret_key == '\0') != (*cfg->curve_server_key == '\0')) {
		fprintf(stderr,
			"%s: [network] curve_secret_key and curve_server_key go together:"
			" set both (CURVE on) or neither\n",
			path);
		return -1;
	}
	if (cfg->spool_dir == NULL) {
		struct buf b = {0};
		buf_printf(&b, "%s/spool", cfg->state_dir);
		cfg->spool_dir = buf_take(&b);
	}
	return 0;
}

static char *
config_builtin_text(void)
{
	struct buf b = {0};
	const char *mark = strstr(builtin_config, "@EXAMPLES@");
	buf_append(&b, builtin_config, (size_t)(mark - builtin_config));
	buf_puts(&b, config_examples_dir());
	buf_puts(&b, mark + strlen("@EXAMPLES@"));
	return buf_take(&b);
}

/* Read one whole line (any length, NUL bytes and all) into a new string; NULL at the end. */
static char *
config_next_line(struct load_ctx *ctx, size_t *len)
{
	if (ctx->fp) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n = getline(&line, &cap, ctx->fp);
		if (n < 0) {
			free(line);
			return NULL;
		}
		*len = (size_t)n;
		return line;
	}
	if (*ctx->text == '\0')
		return NULL;
	size_t n = strcspn(ctx->text, "\n");
	if (ctx->text[n] == '\n')
		n++;
	char *line = xstrndup(ctx->text, n);
	ctx->text += n;
	*len = n;
	return line;
}

static void
config_seen_clear(struct seen **list, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		free((*list)[i].name);
	free(*list);
	*list = NULL;
	*n = 0;
}

/*
 * A section header line (leading white space already gone). A source
 * section is registered here, with its line, because inih tells the
 * handler only about keys, and a source without any key must still be
 * refused. Every section may appear once; a new one starts its own list
 * of keys.
 */
static void
config_note_section(struct load_ctx *ctx, const char *line)
{
	if (*line != '[')
		return;
	const char *end = strchr(line, ']');
	if (end == NULL)
		return;
	config_seen_clear(&ctx->keys, &ctx->nkeys);
	char section[160], name[128];
	size_t n = (size_t)(end - line - 1);
	if (n >= sizeof(section))
		return;
	memcpy(section, line + 1, n);
	section[n] = '\0';
	if (config_source_name(section, name, sizeof(name)) == 0) {
		const struct source *src = config_source_find(ctx->cfg, name);
		if (src) {
			config_fail(ctx, "source \"%s\" defined twice (first at %s:%d)", name,
				    ctx->cfg->path, src->line);
			return;
		}
		config_source_get(ctx->cfg, name, ctx->line);
		return;
	}
	for (size_t i = 0; i < ctx->nsections; i++) {
		if (strcmp(ctx->sections[i].name, section) == 0) {
			config_fail(ctx, "section [%s] given twice (first at %s:%d)", section,
				    ctx->cfg->path, ctx->sections[i].line);
			return;
		}
	}
	ctx->sections = xreallocarray(ctx->sections, ctx->nsections + 1, sizeof(struct seen));
	ctx->sections[ctx->nsections++] = (struct seen){xstrdup(section), ctx->line};
}

/*
 * inih's reader callback. It counts lines, so config_handler knows the exact
 * line of each key; refuses what inih would pass on silently (a NUL byte,
 * which ends the line for inih, and bytes that are not UTF-8); drops leading
 * white space, which for inih would make the line part of the previous
 * value; and works around the system libinih's fixed line buffer: a longer
 * "key = value" line reaches inih as "key = <mark>N" and the handler takes
 * the real value from ctx->long_values[N]. After the first error it reads
 * no further.
 */
static char *
config_reader(char *str, int num, void *stream)
{
	struct load_ctx *ctx = stream;
	size_t len, bad;
	char *raw;

	if (ctx->err[0] || (raw = config_next_line(ctx, &len)) == NULL)
		return NULL;
	ctx->line++;
	if (memchr(raw, '\0', len)) {
		config_fail(ctx, "a NUL byte in the line (at column %zu)",
			    (size_t)((char *)memchr(raw, '\0', len) - raw) + 1);
		free(raw);
		return NULL;
	}
	if ((bad = config_utf8_invalid_at((unsigned char *)raw, len)) < len) {
		config_fail(ctx, "the line is not valid UTF-8 (byte 0x%02x at column %zu)",
			    (unsigned char)raw[bad], bad + 1);
		free(raw);
		return NULL;
	}
	char *line = raw;
	while (*line == ' ' || *line == '\t' || *line == '\f' || *line == '\v')
		line++;
	len -= (size_t)(line - raw);
	config_note_section(ctx, line);
	if (len < (size_t)num - 1) {
		memcpy(str, line, len + 1);
		free(raw);
		return str;
	}
	char *eq = strchr(line, '=');
	if (eq == NULL || (size_t)(eq - line) + 32 >= (size_t)num) {
		snprintf(str, (size_t)num, "%c\n",
			 LONG_VALUE_MARK); /* a syntax error, on this line */
		free(raw);
		return str;
	}
	char *value = eq + 1;
	value[strcspn(value, "\r\n")] = '\0';
	while (*value == ' ' || *value == '\t')
		value++;
	size_t vlen = strlen(value);
	while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		value[--vlen] = '\0';
	ctx->long_values = xreallocarray(ctx->long_values, ctx->nlong + 1, sizeof(char *));
	ctx->long_values[ctx->nlong] = xstrdup(value);
	snprintf(str, (size_t)num, "%.*s= %c%zu\n", (int)(eq - line), line, LONG_VALUE_MARK,
		 ctx->nlong);
	ctx->nlong++;
	free(raw);
	return str;
}

struct config *
config_load(const char *path)
{
	struct load_ctx ctx = {0};
	char *text = NULL;
	int rc;

	ctx.cfg = config_defaults();
	ctx.line = 0;
	if (path == NULL) {
		text = config_builtin_text();
		ctx.cfg->path = xstrdup(CONFIG_BUILTIN);
		ctx.text = text;
	} else {
		ctx.cfg->path = xstrdup(path);
		ctx.fp = fopen(path, "r");
		if (ctx.fp == NULL) {
			int err = errno;
			/*
			 * An installed binary has no built-in sources or database: say
			 * where its default comes from, rather than run with nothing.
			 */
			const char *hint =
			    path == default_path && err == ENOENT
				? " (the default when neither -c FILE nor REPORTPIPE_CONFIG is "
				  "given; start from reportpipe.conf.example beside it)"
				: "";
			fprintf(stderr, "%s: cannot open config: %s%s\n", path, strerror(err),
				hint);
			config_free(&ctx.cfg);
			return NULL;
		}
	}
	rc = ini_parse_stream(config_reader, &ctx, config_handler, &ctx);
	if (ctx.fp)
		fclose(ctx.fp);
	free(text);
	for (size_t i = 0; i < ctx.nlong; i++)
		free(ctx.long_values[i]);
	free(ctx.long_values);
	config_seen_clear(&ctx.sections, &ctx.nsections);
	config_seen_clear(&ctx.keys, &ctx.nkeys);
	if (rc != 0 || ctx.err[0]) {
		/* the first error wins: inih's syntax error, the reader's or the handler's */
		int ours = ctx.err[0] && (rc == 0 || ctx.err_line <= rc);
		fprintf(stderr, "%s:%d: %s\n", ctx.cfg->path, ours ? ctx.err_line : rc,
			ours ? ctx.err : "syntax error (expected [section] or key = value)");
		config_free(&ctx.cfg);
		return NULL;
	}
	if (config_validate(ctx.cfg, ctx.cfg->path) < 0) {
		config_free(&ctx.cfg);
		return NULL;
	}
	return ctx.cfg;
}

void
config_free(struct config **cfgp)
{
	struct config *cfg = *cfgp;
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->nsources; i++) {
		struct source *src = &cfg->sources[i];
		free(src->name);
		free(src->url);
		free(src->index);
		free(src->link_pattern);
		free(src->next_pattern);
		for (size_t k = 0; k < src->nallow_hosts; k++)
			free(src->allow_hosts[k]);
		free(src->allow_hosts);
		free(src->parse.content_xpath);
	}
	free(cfg->sources);
	free(cfg->path);
	free(cfg->conninfo);
	free(cfg->state_dir);
	free(cfg->spool_dir);
	free(cfg->user_agent);
	free(cfg->ca_file);
	free(cfg->metrics_file);
	free(cfg->jobs_bind);
	free(cfg->jobs_connect);
	free(cfg->results_bind);
	free(cfg->results_connect);
	free(cfg->control_bind);
	free(cfg->control_connect);
	free(cfg->curve_secret_key);
	free(cfg->curve_server_key);
	free(cfg->curve_client_keys);
	free(cfg);
	*cfgp = NULL;
}

size_t
config_check_sources(const struct config *cfg)
{
	if (cfg->nsources == 0)
		log_warnx("%s: no [source] sections: nothing to fetch", cfg->path);
	return cfg->nsources;
}
