/* `childguard hash`: PDQ / vPDQ / MD5 / SHA-256 of files and directories, on all cores.
 *
 * Videos (MP4/MOV, WebM/MKV, AVI, ... by their magic bytes) get vPDQ: one PDQ hash per sampled
 * frame, printed in the reference vpdq-hash-video format (docs/vpdq.md).
 *
 * Files are processed in chunks on a thread pool (PDQ hashers from one shared pool); each chunk's
 * results are printed in input order before the next chunk starts, so output order never
 * depends on scheduling, and memory stays bounded by the chunk size. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "childguard.h"
#include "cli.h"
#include "batch.h"
#include "hashfile.h"
#include "progress.h"
#include "walk.h"

typedef struct hash_opts {
    hashfile_opts file;
    int json;
    int fast;
    int quiet;
    unsigned jobs;
    cg_pdq_hasher_pool *hashers; /* shared by the workers */
} hash_opts;

typedef hashfile_result hash_result;

static void usage(void)
{
    printf("usage: childguard hash [options] PATH...\n"
           "\n"
           "Hashes image files, videos (vPDQ) and any file (md5/sha256). Directories are\n"
           "walked recursively; '-' reads standard input. PDQ hashes are bit-identical to\n"
           "Meta's reference pdq-photo-hasher, vPDQ to its vpdq-hash-video (docs/vpdq.md).\n"
           "\n"
           "Options:\n"
           "  -t, --types LIST    signal types, comma-separated: pdq,md5,sha256 (default pdq)\n"
           "  -d, --dihedral      also print the 8 dihedral PDQ variants (rotations, flips)\n"
           "      --json          one JSON object per file with every field\n"
           "  -j, --jobs N        worker threads (default: all CPUs)\n"
           "      --fast          JPEG only: decode scaled down in the DCT domain to the\n"
           "                      smallest size >= 512 (faster; hashes may differ by a few bits)\n"
           "      --max-pixels N  refuse images over N pixels (default 100000000)\n"
           "      --max-bytes N   refuse files over N bytes (default 268435456)\n"
           "      --video-rate S  videos: hash one frame every S seconds (frames whose number\n"
           "                      is a multiple of (int)(S * fps)); 0 = every frame (default)\n"
           "      --video-size N  videos: scale frames to NxN (SWS_AREA) before hashing;\n"
           "                      0 = the video's own size (default)\n"
           "      --max-video-seconds N  refuse videos longer than N seconds (default 14400)\n"
           "  -q, --quiet         no progress bar\n"
           "  -h, --help          this help\n"
           "\n"
           "Output (text): the reference's 'hash,quality,filename' for PDQ; with --dihedral\n"
           "its --pdqdih-across form '8 hashes,quality,filename'; md5 and sha256 hex columns\n"
           "follow the PDQ columns, in that order, before the filename.\n"
           "Videos print the reference vPDQ lines 'frame,quality,hash,seconds', one per\n"
           "hashed frame and nothing else (md5/sha256 of a video: use --json).\n"
           "Files in a directory that are not images are skipped when only PDQ is asked.\n"
           "Errors go to standard error, one line per file; the other files are still hashed.\n"
           "Exit status: 0 when every file was hashed, 2 when any failed.\n");
}

static void hash_work(void *ctx, const walk_item *item, void *result)
{
    const hash_opts *o = ctx;

    hashfile_run(&o->file, item, o->hashers, result);
}

/* A video's text form is exactly the reference's file, so it can be fed to its matchers. */
static void print_video_text(const hash_result *r)
{
    char line[CG_VPDQ_LINE_MAX];

    for (size_t i = 0; i < r->s.vpdq->count; i++)
        if (cg_vpdq_format_line(&r->s.vpdq->frames[i], line, sizeof(line)) > 0)
            printf("%s\n", line);
}

static json_t *video_json(const hash_result *r)
{
    json_t *frames = json_array();
    char hex[65];

    for (size_t i = 0; i < r->s.vpdq->count; i++) {
        const cg_vpdq_frame *f = &r->s.vpdq->frames[i];
        json_t *jf = json_object();
        char ts[32];

        cg_pdq_to_hex(&f->hash, hex);
        snprintf(ts, sizeof(ts), "%.3f", (double)f->timestamp);
        json_object_set_new(jf, "frame", json_integer((json_int_t)f->frame_number));
        json_object_set_new(jf, "quality", json_integer(f->quality));
        json_object_set_new(jf, "pdq", json_string(hex));
        json_object_set_new(jf, "timestamp", json_real(strtod(ts, NULL)));
        json_array_append_new(frames, jf);
    }
    return frames;
}

static void print_text(const hash_opts *o, const walk_item *item, const hash_result *r)
{
    char hex[65];

    if (r->s.vpdq != NULL) {
        print_video_text(r);
        return;
    }

    if (o->file.types & WANT_PDQ) {
        if (o->file.dihedral) {
            for (int v = 0; v < 8; v++) {
                cg_pdq_to_hex(&r->s.pdq.dihedral[v], hex);
                printf("%s,", hex);
            }
        } else {
            cg_pdq_to_hex(&r->s.pdq.hash, hex);
            printf("%s,", hex);
        }
        printf("%d,", r->s.pdq.quality);
    }
    if (o->file.types & WANT_MD5) {
        cg_hex_encode(r->s.digests.md5, CG_MD5_BYTES, hex);
        printf("%s,", hex);
    }
    if (o->file.types & WANT_SHA256) {
        cg_hex_encode(r->s.digests.sha256, CG_SHA256_BYTES, hex);
        printf("%s,", hex);
    }
    printf("%s\n", hashfile_display_name(item));
}

static void print_json(const hash_opts *o, const walk_item *item, const hash_result *r)
{
    json_t *obj = json_object(), *timings = json_object();
    char hex[65];
    char *text;

    json_object_set_new(obj, "path", json_string(hashfile_display_name(item)));
    if (r->status != CG_OK) {
        json_object_set_new(obj, "error", json_string(cg_status_word(r->status)));
        json_object_set_new(obj, "message", json_string(r->err.message));
    } else {
        json_object_set_new(obj, "bytes", json_integer((json_int_t)r->s.bytes));
        if (r->s.vpdq != NULL) {
            json_object_set_new(obj, "format", json_string("video"));
            json_object_set_new(obj, "container", json_string(r->s.video_container));
            json_object_set_new(obj, "width", json_integer(r->s.source_width));
            json_object_set_new(obj, "height", json_integer(r->s.source_height));
            json_object_set_new(obj, "frame_rate", json_real(r->s.vpdq->frame_rate));
            json_object_set_new(obj, "frames_decoded",
                                json_integer((json_int_t)r->s.vpdq->frames_decoded));
            json_object_set_new(obj, "seconds_per_hash",
                                json_real(o->file.video.seconds_per_hash));
            json_object_set_new(obj, "video_size", json_integer(o->file.video.width));
            json_object_set_new(obj, "vpdq", video_json(r));
            json_object_set_new(timings, "decode_ms", json_real(r->s.decode_ms));
            json_object_set_new(timings, "pdq_ms", json_real(r->s.hash_ms));
        } else if (o->file.types & WANT_PDQ) {
            json_object_set_new(obj, "format", json_string(cg_image_format_name(r->s.format)));
            json_object_set_new(obj, "width", json_integer(r->s.source_width));
            json_object_set_new(obj, "height", json_integer(r->s.source_height));
            if (r->s.width != r->s.source_width || r->s.height != r->s.source_height) {
                json_object_set_new(obj, "decoded_width", json_integer(r->s.width));
                json_object_set_new(obj, "decoded_height", json_integer(r->s.height));
            }
            json_object_set_new(obj, "channels", json_integer(r->s.channels));
            json_object_set_new(obj, "bit_depth", json_integer(r->s.bit_depth));
            json_object_set_new(obj, "has_alpha", json_boolean(r->s.has_alpha));
            json_object_set_new(obj, "frames", json_integer(r->s.frame_count));
            json_object_set_new(obj, "exif_orientation",
                                r->s.exif_orientation ? json_integer(r->s.exif_orientation)
                                                    : json_null());
            cg_pdq_to_hex(&r->s.pdq.hash, hex);
            json_object_set_new(obj, "pdq", json_string(hex));
            json_object_set_new(obj, "quality", json_integer(r->s.pdq.quality));
            if (o->file.dihedral) {
                static const char *names[8] = {"original", "rot90", "rot180", "rot270",
                                               "flipx", "flipy", "flip_plus1", "flip_minus1"};
                json_t *dih = json_object();

                for (int v = 0; v < 8; v++) {
                    cg_pdq_to_hex(&r->s.pdq.dihedral[v], hex);
                    json_object_set_new(dih, names[v], json_string(hex));
                }
                json_object_set_new(obj, "pdq_dihedral", dih);
            }
            json_object_set_new(timings, "decode_ms", json_real(r->s.decode_ms));
            json_object_set_new(timings, "pdq_ms", json_real(r->s.hash_ms));
        }
        if (o->file.types & WANT_MD5) {
            cg_hex_encode(r->s.digests.md5, CG_MD5_BYTES, hex);
            json_object_set_new(obj, "md5", json_string(hex));
        }
        if (o->file.types & WANT_SHA256) {
            cg_hex_encode(r->s.digests.sha256, CG_SHA256_BYTES, hex);
            json_object_set_new(obj, "sha256", json_string(hex));
        }
        if (o->file.types & (WANT_MD5 | WANT_SHA256))
            json_object_set_new(timings, "digest_ms", json_real(r->s.digest_ms));
    }
    json_object_set_new(timings, "read_ms", json_real(r->ms_read));
    json_object_set_new(obj, "timings", timings);
    /* Videos: 10 digits so that timestamps keep their 3 decimals (16.533). */
    text = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(r->s.vpdq != NULL ? 10 : 4));
    if (text != NULL) {
        puts(text);
        free(text);
    }
    json_decref(obj);
}

static int parse_types(const char *list, unsigned *out)
{
    char *copy = strdup(list), *tok, *next;
    int rc = 0;

    *out = 0;
    if (copy == NULL)
        return -1;
    for (tok = copy; tok != NULL; tok = next) {
        next = strchr(tok, ',');
        if (next != NULL)
            *next++ = '\0';
        if (*tok == '\0')
            continue;
        if (strcmp(tok, "pdq") == 0) {
            *out |= WANT_PDQ;
        } else if (strcmp(tok, "md5") == 0) {
            *out |= WANT_MD5;
        } else if (strcmp(tok, "sha256") == 0) {
            *out |= WANT_SHA256;
        } else {
            fprintf(stderr, "childguard hash: unknown signal type '%s' (known: pdq, md5, "
                            "sha256)\n", tok);
            rc = -1;
        }
    }
    free(copy);
    if (rc == 0 && *out == 0) {
        fprintf(stderr, "childguard hash: --types is empty\n");
        rc = -1;
    }
    return rc;
}

/* Prints one file's result in order; 1 when it failed. */
static int hash_emit(void *ctx, const walk_item *item, void *result)
{
    const hash_opts *o = ctx;
    hash_result *r = result;
    int failed = r->status != CG_OK;

    if (r->skipped)
        return 0;
    if (r->status != CG_OK)
        fprintf(stderr, "childguard: %s\n", r->err.message[0] ? r->err.message
                                                              : cg_status_text(r->status));
    if (o->json)
        print_json(o, item, r);
    else if (r->status == CG_OK)
        print_text(o, item, r);
    hashfile_result_fini(r);
    return failed;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"types", required_argument, NULL, 't'},
        {"dihedral", no_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'J'},
        {"jobs", required_argument, NULL, 'j'},
        {"fast", no_argument, NULL, 'F'},
        {"max-pixels", required_argument, NULL, 'P'},
        {"max-bytes", required_argument, NULL, 'B'},
        {"video-rate", required_argument, NULL, 'R'},
        {"video-size", required_argument, NULL, 'S'},
        {"max-video-seconds", required_argument, NULL, 'D'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    hash_opts o;
    walk_list list = {0};
    int c, rc = CLI_OK;
    uint64_t v;

    memset(&o, 0, sizeof(o));
    o.file.types = WANT_PDQ;
    o.file.non_image = 2;
    cg_decode_options_default(&o.file.decode);
    o.file.videos = 1;
    cg_vpdq_options_default(&o.file.video);
    cg_video_set_ffmpeg_quiet(1);
    optind = 1;
    while ((c = getopt_long(argc, argv, "t:dj:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (parse_types(optarg, &o.file.types) != 0)
                return CLI_ERROR;
            break;
        case 'd': o.file.dihedral = 1; break;
        case 'J': o.json = 1; break;
        case 'F': o.fast = 1; break;
        case 'q': o.quiet = 1; break;
        case 'j':
            if (cli_parse_u64("hash", "--jobs", optarg, &v) != 0 || v > 1024)
                return CLI_ERROR;
            o.jobs = (unsigned)v;
            break;
        case 'P':
            if (cli_parse_u64("hash", "--max-pixels", optarg, &v) != 0)
                return CLI_ERROR;
            o.file.decode.limits.max_pixels = v;
            break;
        case 'B':
            if (cli_parse_u64("hash", "--max-bytes", optarg, &v) != 0)
                return CLI_ERROR;
            o.file.decode.limits.max_file_bytes = v;
            break;
        case 'R': {
            char *end = NULL;
            double d = strtod(optarg, &end);

            if (end == optarg || *end != '\0' || !(d >= 0) || d > 1e6) {
                fprintf(stderr, "childguard hash: --video-rate needs seconds >= 0, got '%s'\n",
                        optarg);
                return CLI_ERROR;
            }
            o.file.video.seconds_per_hash = d;
            break;
        }
        case 'S':
            if (cli_parse_u64("hash", "--video-size", optarg, &v) != 0 || v > 8192) {
                fprintf(stderr, "childguard hash: --video-size must be 0..8192\n");
                return CLI_ERROR;
            }
            o.file.video.width = o.file.video.height = (uint32_t)v;
            break;
        case 'D':
            if (cli_parse_u64("hash", "--max-video-seconds", optarg, &v) != 0)
                return CLI_ERROR;
            o.file.video.limits.max_duration_s = (double)v;
            break;
        case 'h': usage(); return CLI_OK;
        default:
            fprintf(stderr, "Try 'childguard hash --help'.\n");
            return CLI_ERROR;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "childguard hash: no files given\nTry 'childguard hash --help'.\n");
        return CLI_ERROR;
    }
    if (o.fast)
        o.file.decode.min_side = 512;
    if (o.file.dihedral && !(o.file.types & WANT_PDQ)) {
        fprintf(stderr, "childguard hash: --dihedral needs the pdq type\n");
        return CLI_ERROR;
    }
    for (int i = optind; i < argc; i++)
        if (walk_add(&list, argv[i]) != 0) {
            fprintf(stderr, "childguard hash: out of memory\n");
            rc = CLI_ERROR;
            goto out;
        }
    if (list.errors > 0)
        rc = CLI_ERROR;
    if (cg_pdq_hasher_pool_create(0, &o.hashers) != CG_OK) {
        fprintf(stderr, "childguard hash: out of memory\n");
        rc = CLI_ERROR;
        goto out;
    }
    batch_spec spec = {"hash", o.jobs, o.quiet, sizeof(hash_result), hash_work, hash_emit,
                       NULL, &o};
    if (batch_run(&spec, &list) != 0)
        rc = CLI_ERROR;
out:
    cg_pdq_hasher_pool_destroy(o.hashers);
    walk_free(&list);
    return rc;
}

const cli_command cmd_hash = {
    "hash",
    "hash images and files (PDQ, MD5, SHA-256)",
    run,
    usage,
};
