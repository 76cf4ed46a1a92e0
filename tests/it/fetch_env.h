/*
 * fetch_env.h - what the fetch integration tests share: a throwaway
 * PostgreSQL cluster (tests/it/pgtmp.sh), nginx (tests/it/nginx-test.conf.in)
 * and faultd (tests/it/faultd.py) on 127.0.0.1, configs, runs and queries.
 */
#ifndef RP_FETCH_ENV_H
#define RP_FETCH_ENV_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define FETCH_ENV_MAX_PORTS 4

struct fetch_env {
	char dir[PATH_MAX]; /* private temp dir, removed by fetch_env_teardown */
	char conninfo[512];
	char seed[PATH_MAX]; /* absolute path of the seed report */
	pid_t nginx_pid, faultd_pid;
	int nginx_port;
	int faultd_ports[FETCH_ENV_MAX_PORTS]; /* plain HTTP ports */
	int nfaultd_ports;
	int tls_port; /* faultd's TLS port, 0 when not started */
};

/* Temp dir and PostgreSQL cluster; 0 or -1 (reported on stderr). */
int fetch_env_setup(struct fetch_env *e);

/* Stop what was started (nginx, faultd, the cluster) and remove the temp dir. */
void fetch_env_teardown(struct fetch_env *e);

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int fetch_env_free_port(void);

/* nginx serving root (absolute) on a free port; waits until it answers. 0 or -1. */
int fetch_env_nginx_start(struct fetch_env *e, const char *root);

/* faultd with nports plain ports (and a TLS port when cert and key are given). 0 or -1. */
int fetch_env_faultd_start(struct fetch_env *e, int nports, const char *cert, const char *key);

/*
 * Write dir/NAME.conf: the cluster, 2 workers, state in dir/state, the
 * [fetch] keys given (one "key = value" per line) and the [source] blocks.
 */
int fetch_env_write_config(const struct fetch_env *e, const char *name, const char *fetch_keys,
			   const char *sources);

/* `reportpipe run -c dir/NAME.conf`, at most 300 s: its output (caller frees), exit code. */
char *fetch_env_run(const struct fetch_env *e, const char *name, int *rc);

/* The first column of the first row of sql; -1 (reported) on error. */
long fetch_env_query_long(const struct fetch_env *e, const char *sql);

/* The first column of the first row (caller frees); NULL on error or no row. */
char *fetch_env_query_str(const struct fetch_env *e, const char *sql);

/* Bytes in path, 0 when missing. */
long fetch_env_file_size(const char *path);

/* The text of path after its first offset bytes (caller frees; "" when missing). */
char *fetch_env_read_from(const char *path, long offset);

/* Count the lines of text that contain every one of the NULL-terminated needles. */
int fetch_env_count_lines(const char *text, ...);

/* The report body faultd serves as NAME: the seed with one heading made unique. */
char *fetch_env_report_text(const struct fetch_env *e, const char *name, size_t *len);

/*
 * Write dir/NAME.conf as fetch_env_write_config does, but with the given
 * [pipeline] keys (one "key = value" per line) after workers = 2 and
 * state_dir = dir/state, and no lease_ms of its own.
 */
int fetch_env_write_config_pipeline(const struct fetch_env *e, const char *name,
				    const char *pipeline_keys, const char *fetch_keys,
				    const char *sources);

/* `reportpipe run -c dir/NAME.conf` in the background, stdout and stderr to logpath: its pid. */
pid_t fetch_env_run_spawn(const struct fetch_env *e, const char *name, const char *logpath);

/*
 * Wait up to timeout_ms for a run fetch_env_run_spawn started: its exit code
 * (128 + signal when killed), or -1 when it was still running (it is then
 * killed with SIGKILL and reaped).
 */
int fetch_env_run_wait(pid_t pid, long timeout_ms);

#endif
