/*
 * fuzz_frames.h - one fuzz input cut into ZeroMQ frames, shared by the
 * targets that read what a peer sends (wire_fuzz, sink_msg_fuzz).
 *
 * The input is the frames back to back, separated by FUZZ_FRAME_SEP: a
 * text separator, so that seeds stay readable and a frame may still hold
 * any byte, NUL included. Must never keep state between inputs.
 */
#ifndef RP_FUZZ_FRAMES_H
#define RP_FUZZ_FRAMES_H

#include "wire.h"

#include <stddef.h>
#include <string.h>

#define FUZZ_FRAME_SEP "\n~~\n"
/* More than WIRE_FRAMES_MAX, so that too many frames are tried as well. */
#define FUZZ_FRAMES_MAX 8

/*
 * Cut data into at most max frames (the last one takes the rest). Returns
 * the number of frames, or max + 1 when the input holds more than max
 * (their count is all that wire_decode reads of them).
 */
static inline int
fuzz_frames(const unsigned char *data, size_t size, struct wire_frame *f, int max)
{
	const size_t seplen = sizeof(FUZZ_FRAME_SEP) - 1;
	const unsigned char *p = data, *end = data + size;
	int n = 0;

	for (;;) {
		const unsigned char *sep = memmem(p, (size_t)(end - p), FUZZ_FRAME_SEP, seplen);
		if (n == max)
			return max + 1;
		f[n].data = p;
		f[n].len = (size_t)((sep ? sep : end) - p);
		n++;
		if (sep == NULL)
			return n;
		p = sep + seplen;
	}
}

#endif
