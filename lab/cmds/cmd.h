/* cmd.h - the subcommands; each lives in its own cmd_NAME.c. */
#ifndef LAB_CMD_H
#define LAB_CMD_H

int cmd_unpack(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_corpus(int argc, char **argv);
int cmd_observe(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_scenario(int argc, char **argv);
int cmd_floor(int argc, char **argv);
int cmd_timing(int argc, char **argv);
int cmd_settle(int argc, char **argv);

/* Prints "linklab CMD: MESSAGE" and the usage hint; returns 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt_long's '?' (unknown option) or ':' (option without its value; the
 * option string must start with ':'), said as one usage error. */
int option_error(const char *cmd, int c, char **argv);

#endif
