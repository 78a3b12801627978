/* `childguard policy check`: validate a policy file and dry-run it on sample facts. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "childguard.h"
#include "childguard/policy.h"
#include "cli.h"

#define MAX_SAMPLE_MATCHES 64

static void usage(void)
{
    printf("usage: childguard policy check [FILE] [--sample FACTS.json]\n"
           "\n"
           "Validates a policy file and lists its rules in order, each as 'when CONDITIONS ->\n"
           "ACTIONS'. Without FILE: the shipped defaults,\n"
           "  %s\n"
           "With --sample, applies the policy to the\n"
           "facts in FACTS.json (one object, or an array of them) as a dry run and prints every\n"
           "rule that fires with the reason, then the resulting actions and guidance.\n"
           "\n"
           "A facts object (every key optional; docs/policy.md):\n"
           "  {\"context\": \"platform_upload\"|\"child_device\"|\"school_tablet\",\n"
           "   \"audience\": \"recipient\"|\"sender\"|\"guardian\"|\"moderator\",\n"
           "   \"sender_is_child\": true|false|null, \"repeat\": 1,\n"
           "   \"matches\": [{\"label\": \"csam\", \"kind\": \"block\"|\"allow\", \"distance\": 4,\n"
           "                \"suppressed\": false}],\n"
           "   \"risk\": {\"grooming\": 0.8, ...}, \"alert\": \"none\"|\"watch\"|\"alert\"|\"urgent\",\n"
           "   \"nudity\": 0.93 (the nudity model's explicit score),\n"
           "   \"note\": \"free text\"}\n"
           "\n"
           "Exit status: 0 the policy (and the samples) are valid, 2 an error, with the file,\n"
           "line and place named.\n",
           cg_policy_default_path());
}

static int name_index(const char *name, const char *(*fn)(int), int n)
{
    for (int i = 0; i < n; i++)
        if (fn(i) != NULL && strcmp(name, fn(i)) == 0)
            return i;
    return -1;
}

static const char *audience_n(int i)
{
    return cg_policy_audience_name((cg_audience)i);
}

static const char *alert_n(int i)
{
    return cg_text_alert_name((cg_alert)i);
}

/* Fills f (and matches) from one facts object; labels point into obj. Prints the error. */
static int parse_facts(const char *file, size_t idx, json_t *obj, cg_policy_facts *f,
                       cg_policy_match *matches)
{
    const char *key;
    json_t *v;

    memset(f, 0, sizeof(*f));
    f->sender_is_child = -1;
    f->repeat = 1;
    if (!json_is_object(obj)) {
        fprintf(stderr, "childguard policy: %s: sample %zu: expected an object\n", file, idx);
        return -1;
    }
    json_object_foreach(obj, key, v) {
        const char *s = json_string_value(v);
        int ok = 1;
        if (strcmp(key, "note") == 0) {
            ok = json_is_string(v);
        } else if (strcmp(key, "context") == 0) {
            ok = s != NULL && cg_policy_context_from_name(s) >= 0;
            f->context = ok ? (cg_policy_context)cg_policy_context_from_name(s) : CG_CONTEXT_UNKNOWN;
        } else if (strcmp(key, "audience") == 0) {
            int a = s ? name_index(s, audience_n, 4) : -1;
            ok = a >= 0;
            f->audience = (cg_audience)(ok ? a : 0);
        } else if (strcmp(key, "sender_is_child") == 0) {
            ok = json_is_boolean(v) || json_is_null(v);
            f->sender_is_child = json_is_null(v) ? -1 : json_is_true(v);
        } else if (strcmp(key, "repeat") == 0) {
            ok = json_is_integer(v) && json_integer_value(v) >= 0 &&
                 json_integer_value(v) <= 1000000;
            f->repeat = ok ? (int)json_integer_value(v) : 1;
        } else if (strcmp(key, "nudity") == 0) {
            ok = json_is_number(v) && json_number_value(v) >= 0 && json_number_value(v) <= 1;
            f->nudity = ok ? (float)json_number_value(v) : 0.0f;
        } else if (strcmp(key, "alert") == 0) {
            int a = s ? name_index(s, alert_n, 4) : -1;
            ok = a >= 0;
            f->alert = (cg_alert)(ok ? a : 0);
        } else if (strcmp(key, "risk") == 0) {
            const char *hk;
            json_t *hv;
            ok = json_is_object(v);
            json_object_foreach(v, hk, hv) {
                int h = cg_text_harm_from_name(hk);
                if (h < 0 || !json_is_number(hv) || json_number_value(hv) < 0 ||
                    json_number_value(hv) > 1) {
                    fprintf(stderr, "childguard policy: %s: sample %zu: risk.%s: expected a harm "
                            "name with a number 0..1\n", file, idx, hk);
                    return -1;
                }
                f->risk[h] = (float)json_number_value(hv);
            }
        } else if (strcmp(key, "matches") == 0) {
            ok = json_is_array(v) && json_array_size(v) <= MAX_SAMPLE_MATCHES;
            for (size_t i = 0; ok && i < json_array_size(v); i++) {
                json_t *m = json_array_get(v, i), *mv;
                const char *mk;
                cg_policy_match *pm = &matches[i];
                memset(pm, 0, sizeof(*pm));
                if (!json_is_object(m) || !json_is_string(json_object_get(m, "label"))) {
                    fprintf(stderr, "childguard policy: %s: sample %zu: matches[%zu]: expected "
                            "{\"label\": ..., \"kind\": ..., \"distance\": N}\n", file, idx, i);
                    return -1;
                }
                json_object_foreach(m, mk, mv) {
                    const char *ms = json_string_value(mv);
                    int mok = 1;
                    if (strcmp(mk, "label") == 0)
                        pm->label = ms;
                    else if (strcmp(mk, "kind") == 0) {
                        mok = ms && (strcmp(ms, "block") == 0 || strcmp(ms, "allow") == 0);
                        pm->kind = mok && strcmp(ms, "allow") == 0 ? CG_BANK_ALLOW : CG_BANK_BLOCK;
                    } else if (strcmp(mk, "distance") == 0) {
                        mok = json_is_integer(mv) && json_integer_value(mv) >= 0 &&
                              json_integer_value(mv) <= 256;
                        pm->distance = mok ? (int)json_integer_value(mv) : 0;
                    } else if (strcmp(mk, "suppressed") == 0) {
                        mok = json_is_boolean(mv);
                        pm->suppressed = json_is_true(mv);
                    } else {
                        mok = 0;
                    }
                    if (!mok) {
                        fprintf(stderr, "childguard policy: %s: sample %zu: matches[%zu].%s: bad "
                                "or unknown key (label, kind block|allow, distance 0..256, "
                                "suppressed)\n", file, idx, i, mk);
                        return -1;
                    }
                }
            }
            f->matches = matches;
            f->n_matches = ok ? json_array_size(v) : 0;
        } else {
            fprintf(stderr, "childguard policy: %s: sample %zu: unknown key \"%s\" (context, "
                    "audience, sender_is_child, repeat, matches, risk, alert, nudity, note)\n",
                    file, idx, key);
            return -1;
        }
        if (!ok) {
            fprintf(stderr, "childguard policy: %s: sample %zu: %s: bad value (see 'childguard "
                    "help policy')\n", file, idx, key);
            return -1;
        }
    }
    return 0;
}

static void print_decision(const cg_policy_decision *d)
{
    for (size_t i = 0; i < d->n_fired; i++)
        printf("  fires %s: %s\n", d->fired[i].id, d->fired[i].why);
    if (d->n_fired == 0)
        printf("  no rule fires\n");
    if (d->stopped)
        printf("  (the last rule stops the evaluation)\n");
    printf("  actions:");
    for (size_t i = 0; i < d->n_actions; i++) {
        const cg_policy_action_item *a = &d->actions[i];
        printf("%s %s%s%s", i ? "," : "", cg_policy_action_name(a->action),
               a->target[0] ? ":" : "", a->target);
    }
    printf("\n");
    for (size_t i = 0; i < d->n_guidance; i++)
        printf("  guidance: %s for the %s\n", d->guidance[i].topic,
               cg_policy_audience_name(d->guidance[i].audience));
}

static int run_samples(const cg_policy *p, const char *file)
{
    json_error_t je;
    json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &je);
    cg_policy_match matches[MAX_SAMPLE_MATCHES];
    cg_policy_decision d = {0};
    int rc = CLI_OK;

    if (root == NULL) {
        fprintf(stderr, "childguard policy: %s:%d:%d: %s\n", file, je.line, je.column, je.text);
        return CLI_ERROR;
    }
    size_t n = json_is_array(root) ? json_array_size(root) : 1;
    for (size_t i = 0; i < n && rc == CLI_OK; i++) {
        json_t *obj = json_is_array(root) ? json_array_get(root, i) : root;
        cg_policy_facts f;
        cg_error err;
        if (parse_facts(file, i + 1, obj, &f, matches) != 0) {
            rc = CLI_ERROR;
            break;
        }
        json_t *note = json_object_get(obj, "note");
        printf("\nsample %zu%s%s:\n", i + 1, note ? ": " : "", note ? json_string_value(note) : "");
        if (cg_policy_decide(p, &f, &d, &err) != CG_OK) {
            fprintf(stderr, "childguard policy: %s\n", err.message);
            rc = CLI_ERROR;
            break;
        }
        print_decision(&d);
    }
    cg_policy_decision_free(&d);
    json_decref(root);
    return rc;
}

static int run_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"sample", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *sample = NULL, *file;
    cg_policy *p = NULL;
    cg_error err;
    char line[512];
    int ch, rc;

    optind = 1;
    while ((ch = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 's': sample = optarg; break;
        case 'h': usage(); return CLI_OK;
        default: return CLI_ERROR;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "childguard policy check: one policy file at most\n");
        return CLI_ERROR;
    }
    file = optind < argc ? argv[optind] : cg_policy_default_path();
    if (cg_policy_open(file, &p, &err) != CG_OK) {
        fprintf(stderr, "childguard policy: %s\n", err.message);
        return CLI_ERROR;
    }
    printf("%s: valid, %zu rules (tried in order; all conditions of a rule must hold)\n", file,
           cg_policy_rule_count(p));
    for (size_t i = 0; i < cg_policy_rule_count(p); i++) {
        cg_policy_rule_describe(p, i, line, sizeof(line));
        printf("  %zu. %s: %s\n", i + 1, cg_policy_rule_id(p, i), line);
    }
    rc = sample != NULL ? run_samples(p, sample) : CLI_OK;
    cg_policy_destroy(p);
    return rc;
}

static int run(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage();
        return argc < 2 ? CLI_ERROR : CLI_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return run_check(argc - 1, argv + 1);
    fprintf(stderr, "childguard policy: unknown subcommand '%s' (try 'childguard policy help')\n",
            argv[1]);
    return CLI_ERROR;
}

const cli_command cmd_policy = {"policy", "validate a policy and dry-run it on sample facts",
                                run, usage};
