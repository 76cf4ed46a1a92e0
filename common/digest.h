/*
 * digest.h - content hashes (SHA-256, hex) that key documents everywhere.
 */
#ifndef RP_DIGEST_H
#define RP_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* Write the lowercase hex SHA-256 of data into out (65 bytes with the NUL). */
void digest_sha256_hex(const void *data, size_t len, char out[DIGEST_HEX_LEN + 1]);

#endif
