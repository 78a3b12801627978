/* The scan-job queue on NATS JetStream (docs/queue.md): what `childguard worker`, `submit` and
 * `serve --queue` share. Only programs link libnats; the library offers the scan and the
 * record-once job ledger (jobs.h).
 *
 * Names, from the stream name S (default CG_JOBS):
 *   stream S            work-queue retention, subject S.jobs: the jobs
 *   stream S_RESULTS    subjects S.results (one verdict per job) and S.dead (dead letters)
 *   consumer "workers"  durable pull consumer of S, explicit acks
 * A job is one message on S.jobs: headers Cg-Job (the id, also Nats-Msg-Id for the stream's
 * duplicate window), Cg-Tenant, Cg-Name, Cg-Callback, and either the content bytes as the body
 * or Cg-Path, a path under the worker's --root. */
#ifndef CG_PROGRAMS_QUEUE_H
#define CG_PROGRAMS_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <nats/nats.h>

#define QUEUE_STREAM_DEFAULT "CG_JOBS"
#define QUEUE_NAME_MAX 64
#define QUEUE_CONSUMER "workers"

typedef struct queue_names {
    char stream[QUEUE_NAME_MAX + 1];        /* S */
    char results_stream[QUEUE_NAME_MAX + 16];
    char jobs_subject[QUEUE_NAME_MAX + 16];
    char results_subject[QUEUE_NAME_MAX + 16];
    char dead_subject[QUEUE_NAME_MAX + 16];
} queue_names;

typedef struct queue_link {
    natsConnection *nc;
    jsCtx *js;
    queue_names names;
    /* A permissions violation the server reported (its text, "" none): the error handler of
     * the connection sets it, queue_publish stops on it instead of retrying a timeout. */
    pthread_mutex_t denied_mu;
    char denied[256];
} queue_link;

/* The stream's settings when queue_link_setup creates it. */
typedef struct queue_setup {
    int replicas;                 /* 1 or 3 ... */
    int64_t max_job_bytes;        /* largest message the jobs stream takes */
    int64_t ack_wait_ms;          /* consumer: redelivery after this without an ack */
} queue_setup;

/* Fills names from a stream name: 1-64 of [A-Za-z0-9_-]; -1 (message on stderr) when bad. */
int queue_names_make(const char *cmd, const char *stream, queue_names *out);

/* 1 when queue_link_open will use TLS: a CHILDGUARD_NATS_CA, _CERT or _KEY file is set, or a URL
 * is tls://. A program that will, and that uses libcrypto before it connects, calls
 * queue_tls_prepare() first thing. */
int queue_link_wants_tls(const char *urls);

/* libnats 3.4 frees OpenSSL's list of compression methods in an exit handler of its own, and
 * OpenSSL's exit handler (OPENSSL_cleanup), when it was registered before libnats's, frees it
 * again: a crash at exit. Called before anything initialises libcrypto, this keeps OpenSSL
 * from registering its handler (the process is exiting: nothing is lost). */
void queue_tls_prepare(void);

/* Connects to urls ("nats://a:4222,nats://b:4222"; several need natsOptions_SetServers) with
 * reconnection on, and makes the JetStream context. -1 with a message naming cmd and urls.
 * Only "no server listening yet" is retried (about 5 s); a TLS failure (a certificate refused
 * either way, a host name the server's certificate does not hold) or any other error fails at
 * once, with the client library's reason. out must stay where it is until queue_link_close
 * (the connection's error handler points at it). */
int queue_link_open(const char *cmd, const char *urls, const char *stream, queue_link *out);
void queue_link_close(queue_link *l);

/* Creates the streams and (consumer 1) the workers' consumer when missing; calls that time out
 * (a cluster electing a leader) are retried for up to about 20 s. -1 with a message. */
int queue_link_setup(const char *cmd, queue_link *l, const queue_setup *s, int consumer);

/* A JetStream call retried while it times out or finds no leader: 1 when s says so. */
int queue_transient(natsStatus s, jsErrCode jerr);

/* A new job id: "j" + 32 hex digits from the system's random source. 0, or -1. */
int queue_job_id(char out[40]);

/* Publishes m on l's JetStream, waiting for the stream's ack, retried while transient (up to
 * about 20 s). Returns the last status: NATS_NOT_PERMITTED, without retrying, when the server
 * reported a permissions violation (queue_link_denied says which). */
natsStatus queue_publish(queue_link *l, natsMsg *m, jsErrCode *jerr);

/* Writes urls to f with the password of each "scheme://user:password@host" masked. */
void queue_urls_masked(FILE *f, const char *urls);

/* Copies the server's permissions-violation text (or "") into out. 1 when there is one. */
int queue_link_denied(queue_link *l, char *out, size_t cap);

/* Opens path (relative) under the directory root_fd without leaving it: no absolute path, no
 * "." or ".." component, no symbolic link anywhere (each component is opened with O_NOFOLLOW
 * from its parent). Reads the regular file, at most max bytes, into *data (free()). 0, or -1
 * with why[] saying which rule or errno failed. */
int queue_path_read(int root_fd, const char *path, size_t max, uint8_t **data, size_t *len,
                    char *why, size_t why_len);

#endif
