/* `childguard text train|eval|predict`: the trainable linear text classifier
 * (include/childguard/textmodel.h) on the command line. */
#ifndef CG_PROGRAMS_TEXTMODEL_CLI_H
#define CG_PROGRAMS_TEXTMODEL_CLI_H

/* Runs one subcommand: argv[0] is "train", "eval" or "predict" (argc counts it). Returns a
 * CLI_* exit status (cli.h): 0 success, 2 error. Prints help for "--help". */
int textmodel_cli(int argc, char **argv);

/* The usage of the three subcommands, on stdout. */
void textmodel_cli_usage(void);

#endif
