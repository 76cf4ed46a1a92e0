/*
 * cmd.h - the subcommands of the one reportpipe binary.
 *
 * Each takes the arguments after its name (argv[0] is the command name) and
 * returns a sysexits.h exit code.
 */
#ifndef RP_CMD_H
#define RP_CMD_H

int cmd_run(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_parser(int argc, char **argv);
int cmd_sink(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_reparse(int argc, char **argv);
int cmd_dead_letters(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_links(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Set the process title seen by ps(1): "reportpipe: <what>". */
void cmd_set_title(const char *what);
/* Remember argv so cmd_set_title can overwrite it. */
void cmd_title_init(int argc, char **argv);

#endif
