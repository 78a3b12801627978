/* `childguard exchange feedback` (cmd_exchange_feedback.c): the exchange feedback queue. */
#ifndef CG_PROGRAMS_CMD_EXCHANGE_FEEDBACK_H
#define CG_PROGRAMS_CMD_EXCHANGE_FEEDBACK_H

/* argv[0] is "feedback"; returns a CLI_* exit status. */
int exchange_feedback_main(int argc, char **argv);
void exchange_feedback_usage(void);

#endif
