/*
 * title.c - process titles, so that ps shows "reportpipe: parser".
 *
 * Linux has no setproctitle(3): overwrite the argv area (bounded by the
 * original argv strings, never past them) and set the kernel's comm name.
 */
#include "cmd.h"

#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

static char *title_area;
static size_t title_len;

void
cmd_title_init(int argc, char **argv)
{
	if (argc < 1 || argv[0] == NULL)
		return;
	title_area = argv[0];
	char *end = argv[0] + strlen(argv[0]);
	for (int i = 1; i < argc; i++)
		if (argv[i] == end + 1)
			end = argv[i] + strlen(argv[i]);
	title_len = (size_t)(end - argv[0]);
}

void
cmd_set_title(const char *what)
{
	char name[16];

	snprintf(name, sizeof(name), "rp-%s", what);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	if (title_area == NULL || title_len == 0)
		return;
	memset(title_area, 0, title_len + 1);
	snprintf(title_area, title_len + 1, "reportpipe: %s", what);
}
