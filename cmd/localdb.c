/*
 * localdb.c - create, start and stop the project-local cluster.
 *
 * The cluster listens on a Unix socket only (listen_addresses = ''). As a
 * normal user it lives in <state_dir>/pg. PostgreSQL refuses to run as root,
 * so as root it runs as the "postgres" system user and lives in
 * /var/lib/reportpipe/localdb-<hash of the state dir>, which that user can
 * enter even when the checkout (say, under /root) is closed to it;
 * <state_dir>/pg is then a symlink to it. Must never touch a cluster it did
 * not create, and never listen on TCP.
 */
#include "localdb.h"
#include "buf.h"
#include "digest.h"
#include "log.h"
#include "sink_db.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <limits.h>
#include <sysexits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROOT_BASE "/var/lib/reportpipe"
#define DB_NAME "reportpipe"
#define DB_USER "reportpipe"
#define SOCKET_MAX 100 /* sun_path is 108 bytes; leave room for "/.s.PGSQL.5432" */

struct localdb {
	char base[PATH_MAX]; /* holds data/, run/, postgresql.log */
	char data[PATH_MAX];
	char sock[PATH_MAX];
	char log[PATH_MAX];
	char lock[PATH_MAX];
	char bindir[PATH_MAX];
	uid_t uid; /* who runs the server */
	gid_t gid;
	int as_other; /* we are root: drop to uid/gid for PostgreSQL's tools */
};

int
localdb_wanted(const struct config *cfg)
{
	const char *host = getenv("PGHOST"), *db = getenv("PGDATABASE");
	return cfg->conninfo[0] == '\0' && !(host && *host) && !(db && *db);
}

/* The newest /usr/lib/postgresql/N/bin with an initdb, or $REPORTPIPE_PG_BINDIR. */
static int
localdb_find_bindir(char *out, size_t cap)
{
	const char *env = getenv("REPORTPIPE_PG_BINDIR");
	if (env && *env) {
		snprintf(out, cap, "%s", env);
		return 0;
	}
	DIR *d = opendir("/usr/lib/postgresql");
	int best = -1;
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			char probe[PATH_MAX];
			int v = atoi(e->d_name);
			snprintf(probe, sizeof(probe), "/usr/lib/postgresql/%s/bin/initdb",
				 e->d_name);
			if (v > best && access(probe, X_OK) == 0)
				best = v;
		}
		closedir(d);
	}
	if (best < 0) {
		log_warnx("no PostgreSQL server found under /usr/lib/postgresql (install the "
			  "postgresql package: make deps), or set REPORTPIPE_PG_BINDIR");
		return -1;
	}
	snprintf(out, cap, "/usr/lib/postgresql/%d/bin", best);
	return 0;
}

static int
localdb_mkdir_owned(const char *path, const struct localdb *db)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		log_warn("cannot create %s", path);
		return -1;
	}
	if (db->as_other && chown(path, db->uid, db->gid) < 0) {
		log_warn("cannot hand %s to the postgres user", path);
		return -1;
	}
	return 0;
}

static int
localdb_layout(const struct config *cfg, struct localdb *db)
{
	char state[PATH_MAX];

	memset(db, 0, sizeof(*db));
	if (mkdir(cfg->state_dir, 0755) < 0 && errno != EEXIST) {
		log_warn("cannot create state directory %s", cfg->state_dir);
		return -1;
	}
	if (realpath(cfg->state_dir, state) == NULL) {
		log_warn("cannot resolve state directory %s", cfg->state_dir);
		return -1;
	}
	if (localdb_find_bindir(db->bindir, sizeof(db->bindir)) < 0)
		return -1;
	snprintf(db->lock, sizeof(db->lock), "%.4000s/pg.lock", state);

	char hash[DIGEST_HEX_LEN + 1];
	digest_sha256_hex(state, strlen(state), hash);
	hash[12] = '\0';
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("postgres");
		if (pw == NULL) {
			log_warnx("running as root, the local cluster needs the 'postgres' system "
				  "user (it comes with the postgresql package: make deps)");
			return -1;
		}
		db->uid = pw->pw_uid;
		db->gid = pw->pw_gid;
		db->as_other = 1;
		snprintf(db->base, sizeof(db->base), ROOT_BASE "/localdb-%s", hash);
	} else {
		db->uid = geteuid();
		db->gid = getegid();
		snprintf(db->base, sizeof(db->base), "%.4000s/pg", state);
	}
	snprintf(db->data, sizeof(db->data), "%.4000s/data", db->base);
	snprintf(db->log, sizeof(db->log), "%.4000s/postgresql.log", db->base);
	snprintf(db->sock, sizeof(db->sock), "%.4000s/run", db->base);
	if (strlen(db->sock) > SOCKET_MAX)
		snprintf(db->sock, sizeof(db->sock), "/tmp/reportpipe-%ld-%s", (long)db->uid, hash);
	return 0;
}

/* Run argv (PostgreSQL's tools) as the cluster's owner; output goes to logpath. */
static int
localdb_exec(const struct localdb *db, char *const argv[], const char *logpath)
{
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("fork");
		return -1;
	}
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			if (db->as_other && fchown(fd, db->uid, db->gid) < 0)
				_exit(126);
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		if (db->as_other) {
			if (setgroups(0, NULL) < 0 || setgid(db->gid) < 0 || setuid(db->uid) < 0)
				_exit(126);
		}
		if (chdir(db->base) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void
localdb_log_tail(const char *path)
{
	FILE *fp = fopen(path, "r");
	char line[512], last[4][512] = {{0}};
	int n = 0;
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		snprintf(last[n++ % 4], sizeof(last[0]), "%s", line);
	}
	fclose(fp);
	for (int i = n > 4 ? n - 4 : 0; i < n; i++)
		log_warnx("  %s: %s", path, last[i % 4]);
}

static int
localdb_init(const struct localdb *db)
{
	char path[PATH_MAX + 64], initdb[PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/PG_VERSION", db->data);
	if (stat(path, &st) == 0)
		return 0;
	if (db->as_other && mkdir(ROOT_BASE, 0755) < 0 && errno != EEXIST) {
		log_warn("cannot create %s", ROOT_BASE);
		return -1;
	}
	if (localdb_mkdir_owned(db->base, db) < 0)
		return -1;
	log_info("creating the local PostgreSQL cluster in %s", db->data);
	snprintf(initdb, sizeof(initdb), "%s/initdb", db->bindir);
	char *argv[] = {initdb,	 "-D", (char *)db->data, "-U",		DB_USER, "-A",
			"trust", "-E", "UTF8",		 "--no-locale", NULL};
	snprintf(path, sizeof(path), "%s/initdb.log", db->base);
	if (localdb_exec(db, argv, path) < 0) {
		log_warnx("initdb failed for %s", db->data);
		localdb_log_tail(path);
		return -1;
	}
	/* socket only, in our own directory: never a TCP port */
	snprintf(path, sizeof(path), "%s/postgresql.conf", db->data);
	FILE *fp = fopen(path, "a");
	if (fp == NULL) {
		log_warn("cannot open %s", path);
		return -1;
	}
	fprintf(fp,
		"\n# reportpipe: a project-local cluster, reachable through its socket only\n"
		"listen_addresses = ''\n"
		"unix_socket_directories = '%s'\n",
		db->sock);
	return fclose(fp) == 0 ? 0 : -1;
}

static void
localdb_conninfo_to(const struct localdb *db, const char *dbname, struct buf *out)
{
	buf_puts(out, "host='");
	for (const char *p = db->sock; *p; p++) {
		if (*p == '\'' || *p == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *p);
	}
	buf_printf(out, "' dbname=%s user=%s", dbname, DB_USER);
}

static int
localdb_start(const struct localdb *db)
{
	struct buf ci = {0};
	char pg_ctl[PATH_MAX + 16];

	localdb_conninfo_to(db, "postgres", &ci);
	if (PQping(ci.data) == PQPING_OK) {
		buf_release(&ci);
		return 0;
	}
	if (localdb_mkdir_owned(db->sock, db) < 0) {
		buf_release(&ci);
		return -1;
	}
	log_info("starting the local PostgreSQL cluster (socket %s)", db->sock);
	snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", db->bindir);
	char *argv[] = {pg_ctl, "-D", (char *)db->data, "-l", (char *)db->log, "-w",
			"-t",	"60", "start",		NULL};
	char ctl_log[PATH_MAX + 16];
	snprintf(ctl_log, sizeof(ctl_log), "%s/pg_ctl.log", db->base);
	if (localdb_exec(db, argv, ctl_log) < 0 || PQping(ci.data) != PQPING_OK) {
		log_warnx("the local PostgreSQL cluster in %s did not start", db->data);
		localdb_log_tail(db->log);
		buf_release(&ci);
		return -1;
	}
	buf_release(&ci);
	return 0;
}

static int
localdb_create_database(const struct localdb *db)
{
	struct buf ci = {0};
	localdb_conninfo_to(db, "postgres", &ci);
	PGconn *c = PQconnectdb(ci.data);
	buf_release(&ci);
	int rc = -1;
	if (PQstatus(c) != CONNECTION_OK) {
		log_warnx("cannot connect to the local cluster: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	const char *params[] = {DB_NAME};
	PGresult *r = PQexecParams(c, "SELECT 1 FROM pg_database WHERE datname = $1", 1, NULL,
				   params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		rc = 0;
	} else if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		PQclear(r);
		/* a constant identifier: CREATE DATABASE takes no parameters */
		r = PQexec(c, "CREATE DATABASE " DB_NAME);
		if (PQresultStatus(r) == PGRES_COMMAND_OK)
			rc = 0;
		else
			log_warnx("cannot create database %s: %s", DB_NAME, PQerrorMessage(c));
	} else {
		log_warnx("cannot query the local cluster: %s", PQerrorMessage(c));
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

char *
localdb_conninfo(const struct config *cfg, int start)
{
	struct localdb db;
	struct buf ci = {0};

	if (!localdb_wanted(cfg))
		return xstrdup(cfg->conninfo);
	if (localdb_layout(cfg, &db) < 0)
		return NULL;
	if (start) {
		int fd = open(db.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0 || flock(fd, LOCK_EX) < 0) {
			log_warn("cannot lock %s", db.lock);
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		if (db.as_other) {
			/* the symlink says where the cluster is */
			char link[PATH_MAX], state[PATH_MAX];
			if (realpath(cfg->state_dir, state)) {
				snprintf(link, sizeof(link), "%.4000s/pg", state);
				if (symlink(db.base, link) < 0 && errno != EEXIST)
					log_warn("cannot link %s to %s", link, db.base);
			}
		}
		int rc = localdb_init(&db) < 0 || localdb_start(&db) < 0 ||
			 localdb_create_database(&db) < 0;
		close(fd);
		if (rc)
			return NULL;
	}
	localdb_conninfo_to(&db, DB_NAME, &ci);
	return buf_take(&ci);
}

int
localdb_exists(const struct config *cfg)
{
	struct localdb db;
	char path[PATH_MAX + 16];
	struct stat st;

	/* no state directory, no cluster: and localdb_layout would create the directory */
	if (stat(cfg->state_dir, &st) < 0 || localdb_layout(cfg, &db) < 0)
		return 0;
	snprintf(path, sizeof(path), "%s/PG_VERSION", db.data);
	return stat(path, &st) == 0;
}

int
localdb_stop(const struct config *cfg)
{
	struct localdb db;
	char pg_ctl[PATH_MAX + 16], path[PATH_MAX + 32];
	struct stat st;

	if (!localdb_wanted(cfg)) {
		log_warnx("a database is configured; reportpipe only stops its own local cluster");
		return -1;
	}
	if (localdb_layout(cfg, &db) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/postmaster.pid", db.data);
	if (stat(path, &st) < 0)
		return 0; /* not running */
	snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", db.bindir);
	char *argv[] = {pg_ctl, "-D", db.data, "-m", "fast", "-w", "stop", NULL};
	snprintf(path, sizeof(path), "%s/pg_ctl.log", db.base);
	if (localdb_exec(&db, argv, path) < 0) {
		log_warnx("could not stop the local cluster in %s", db.data);
		return -1;
	}
	log_info("stopped the local PostgreSQL cluster in %s", db.data);
	return 0;
}

char *
localdb_datadir(const struct config *cfg)
{
	struct localdb db;
	if (localdb_layout(cfg, &db) < 0)
		return NULL;
	return xstrdup(db.data);
}

PGconn *
localdb_connect(const struct config *cfg)
{
	char *conninfo = localdb_conninfo(cfg, 1);
	if (conninfo == NULL)
		return NULL;
	PGconn *conn = sink_db_connect(conninfo);
	free(conninfo);
	return conn;
}

int
localdb_open_existing(const struct config *cfg, PGconn **out)
{
	*out = NULL;
	if (localdb_wanted(cfg) && !localdb_exists(cfg)) {
		log_warnx("no database: none is configured and the local cluster of state_dir %s"
			  " does not exist",
			  cfg->state_dir);
		return EX_UNAVAILABLE;
	}
	PGconn *conn = localdb_connect(cfg);
	if (conn == NULL)
		return EX_TEMPFAIL;
	int behind = sink_db_schema_behind(conn);
	if (behind != 0) {
		if (behind > 0)
			log_warnx("the schema is behind this binary: run reportpipe db migrate");
		PQfinish(conn);
		return behind > 0 ? EX_UNAVAILABLE : EX_SOFTWARE;
	}
	*out = conn;
	return 0;
}
