/*
 * monotime.h - the one clock for timeouts, leases and rates: CLOCK_MONOTONIC
 * in milliseconds, which never jumps when someone sets the wall clock.
 */
#ifndef RP_MONOTIME_H
#define RP_MONOTIME_H

long long monotime_ms(void);

#endif
