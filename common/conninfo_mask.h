/*
 * conninfo_mask.h - a libpq connection string fit for a log line: every
 * password in it replaced by "****", everything else as it was written.
 */
#ifndef RP_CONNINFO_MASK_H
#define RP_CONNINFO_MASK_H

#define CONNINFO_MASK "****"

/*
 * Return conninfo (keyword/value or postgres[ql]:// URI) with the values of
 * password and sslpassword replaced by CONNINFO_MASK; the caller frees it.
 * NULL gives NULL. A string that libpq would read a password from that this
 * cannot mask in place comes back as CONNINFO_MASK alone.
 */
char *conninfo_masked(const char *conninfo);

#endif
