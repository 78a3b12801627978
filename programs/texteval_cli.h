/* `childguard text eval --conversations FILE`: the text engine measured on a labelled corpus of
 * conversations (tests/text/corpus/README.md gives the format), at conversation and message
 * level. docs/text.md, "Measuring". */
#ifndef CG_PROGRAMS_TEXTEVAL_CLI_H
#define CG_PROGRAMS_TEXTEVAL_CLI_H

/* Runs the evaluation: argv[0] is "eval" (argc counts it). Returns a CLI_* exit status (cli.h):
 * 0 at least one conversation was measured and every line was read, 1 no conversation (of the
 * split asked for) was found, 2 an error (bad lines are reported, skipped and make it 2; the
 * figures for the rest are still printed). */
int texteval_cli(int argc, char **argv);

/* Its usage, on stdout. */
void texteval_cli_usage(void);

/* 1 when argv (argc entries, argv[0] = "eval") asks for the conversation evaluation (it has
 * --conversations), 0 when it is the classifier's `text eval --model`. */
int texteval_wanted(int argc, char **argv);

#endif
