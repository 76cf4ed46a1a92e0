/*
 * wire_fuzz.c - libFuzzer target for the bytes a peer sends: frames into
 * wire_decode (what wire_recv does with a received message), as a DEALER
 * and as a ROUTER would read them.
 *
 * The input is the frames separated by "\n~~\n" (fuzz_frames.h). Besides
 * what ASan and UBSan catch, the target aborts when a message is accepted
 * that breaks wire.h's promises (no header object, a type that is empty or
 * unterminated, a body that differs from its frame or is not NUL-ended, a
 * route longer than WIRE_ROUTE_MAX), or when a refused one leaves anything
 * to release. Must never keep state between inputs.
 */
#include "fuzz_frames.h"
#include "log.h"
#include "wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* a warning per malformed message would be most of the run's time and all of its output */
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void
fuzz_broken(const char *what)
{
	fprintf(stderr, "wire_fuzz: wire.h contract broken: %s\n", what);
	abort();
}

static void
fuzz_decode(const struct wire_frame *f, int n, int is_router)
{
	struct wire_msg m;
	int at = is_router ? 1 : 0;

	memset(&m, 0xA5, sizeof(m)); /* a receive must not rely on a cleared m */
	int rc = wire_decode(f, n, is_router, &m);
	if (rc != 0) {
		if (rc != 1)
			fuzz_broken("wire_decode returned neither 0 nor 1");
		if (m.hdr != NULL || m.body != NULL || m.body_len != 0)
			fuzz_broken("a refused message left a header or body");
		wire_msg_release(&m);
		return;
	}
	if (m.hdr == NULL || !json_object_is_type(m.hdr, json_type_object))
		fuzz_broken("an accepted message has no header object");
	size_t tlen = strnlen(m.type, sizeof(m.type));
	if (tlen == 0 || tlen == sizeof(m.type))
		fuzz_broken("type empty or not terminated");
	if (tlen != f[at + 1].len || memcmp(m.type, f[at + 1].data, tlen) != 0)
		fuzz_broken("type differs from its frame");
	if (is_router ? (m.route_len != f[0].len || m.route_len > WIRE_ROUTE_MAX ||
			 memcmp(m.route, f[0].data, m.route_len) != 0)
		      : m.route_len != 0)
		fuzz_broken("route differs from its frame");
	if (n - at == 4) {
		if (m.body == NULL || m.body_len != f[at + 3].len ||
		    memcmp(m.body, f[at + 3].data, m.body_len) != 0 || m.body[m.body_len] != '\0')
			fuzz_broken("body differs from its frame");
	} else if (m.body != NULL || m.body_len != 0) {
		fuzz_broken("a body without a body frame");
	}
	/* what every stage does next: read fields of the header */
	(void)wire_str(&m, "url", NULL);
	(void)wire_str(&m, "key", "");
	(void)wire_int(&m, "attempts", 1);
	(void)wire_int(&m, "lease_ms", 0);
	(void)json_object_to_json_string_ext(m.hdr, JSON_C_TO_STRING_PLAIN);
	wire_msg_release(&m);
	wire_msg_release(&m); /* safe twice: the stages release on every path */
	if (m.hdr != NULL || m.body != NULL)
		fuzz_broken("wire_msg_release left a pointer set");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_frame f[FUZZ_FRAMES_MAX];
	int n = fuzz_frames(data, size, f, FUZZ_FRAMES_MAX);

	/* a DEALER reads the frames as they are; a ROUTER takes the first as the route */
	fuzz_decode(f, n, 0);
	fuzz_decode(f, n, 1);
	return 0;
}
