/*
 * title.c - process titles, so that ps shows "reportpipe: parser".
 *
 * libbsd's setproctitle(3) rewrites the argv area (moving the environment
 * out of its way); the kernel's comm name, which top and pkill read, is set
 * as well, as "rp-parser" within its 15 bytes.
 */
#include "cmd.h"

#include <bsd/unistd.h>
#include <stdio.h>
#include <sys/prctl.h>

extern char **environ;

void
cmd_title_init(int argc, char **argv)
{
	setproctitle_init(argc, argv, environ);
}

void
cmd_set_title(const char *what)
{
	char name[16];

	snprintf(name, sizeof(name), "rp-%s", what);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	/* the leading '-' leaves out libbsd's own "progname: " */
	setproctitle("-reportpipe: %s", what);
}
