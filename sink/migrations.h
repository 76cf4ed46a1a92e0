/*
 * migrations.h - the schema migrations compiled into the binary
 * (sink/migrations/NNN_name.sql, embedded by tools/embed-sql.sh).
 */
#ifndef RP_MIGRATIONS_H
#define RP_MIGRATIONS_H

struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
