/* A signed package as one tar archive in memory (package_int.h): the package exchange reads a
 * package from a .tar file or an https URL without unpacking it to disk. Only what `tar -cf`
 * makes of a package directory is accepted: ustar headers (pax extended headers skipped),
 * regular files with the five package names, directories; everything else is refused, and a
 * cut archive is never taken for a complete one (the end-of-archive block must be there). */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "package_int.h"

#define BLOCK 512

const char *const cg__package_tar_files[5] = {"manifest.json", "manifest.json.minisig",
                                              "adds.jsonl", "removals.jsonl", "disables.jsonl"};

/* Parses an octal field (NUL or space terminated, leading spaces allowed). -1 when bad. */
static int64_t octal(const uint8_t *f, size_t n)
{
    int64_t v = 0;
    size_t i = 0;

    while (i < n && f[i] == ' ')
        i++;
    if (i == n || f[i] < '0' || f[i] > '7')
        return -1;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v > ((int64_t)1 << 50))
            return -1;
        v = v * 8 + (f[i] - '0');
    }
    if (i < n && f[i] != '\0' && f[i] != ' ')
        return -1;
    return v;
}

static int zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (b[i] != 0)
            return 0;
    return 1;
}

/* The package file index of member name, -1 for a directory entry name, -2 otherwise. */
static int member_index(const char *name)
{
    const char *slash;

    if (strncmp(name, "./", 2) == 0)
        name += 2;
    slash = strchr(name, '/');
    if (slash != NULL) {
        /* "DIR/F": one directory level, not "..", and nothing after F */
        if (slash == name || (slash - name == 2 && strncmp(name, "..", 2) == 0))
            return -2;
        name = slash + 1;
        if (name[0] == '\0')
            return -1; /* "DIR/" */
        if (strchr(name, '/') != NULL)
            return -2;
    }
    if (name[0] == '\0' || strcmp(name, ".") == 0)
        return -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(name, cg__package_tar_files[i]) == 0)
            return i;
    return -2;
}

cg_status cg__package_tar_index(const char *name, const uint8_t *buf, size_t len,
                                cg__package_tar *out, cg_error *err)
{
    size_t off = 0;

    memset(out, 0, sizeof(*out));
    out->name = name;
    for (;;) {
        const uint8_t *h = buf + off;
        char mname[256 + 1];
        int64_t size, sum;
        unsigned check = 0;
        size_t padded;
        int idx;

        if (len - off < BLOCK)
            return cg__fail(err, CG_E_DECODE, "%s: the archive is cut short at byte %zu (no "
                                              "end-of-archive block)", name, off);
        if (zero_block(h))
            return CG_OK; /* the end; what follows is padding */
        for (size_t i = 0; i < BLOCK; i++)
            check += (i >= 148 && i < 156) ? ' ' : h[i];
        sum = octal(h + 148, 8);
        if (sum < 0 || (unsigned)sum != check)
            return cg__fail(err, CG_E_DECODE, "%s: bad tar header at byte %zu (checksum): a "
                                              "damaged or non-tar file", name, off);
        size = octal(h + 124, 12);
        if (size < 0)
            return cg__fail(err, CG_E_DECODE, "%s: bad member size at byte %zu", name, off);
        /* ustar: prefix (345, 155 bytes) "/" name (0, 100 bytes) */
        if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345] != '\0') /* POSIX, not GNU */
            snprintf(mname, sizeof(mname), "%.155s/%.100s", (const char *)h + 345,
                     (const char *)h);
        else
            snprintf(mname, sizeof(mname), "%.100s", (const char *)h);
        padded = ((size_t)size + BLOCK - 1) / BLOCK * BLOCK;
        if ((uint64_t)size > len - off - BLOCK || padded > len - off - BLOCK)
            return cg__fail(err, CG_E_DECODE, "%s: member %.80s runs past the end of the "
                                              "archive: cut short", name, mname);
        switch (h[156]) {
        case '0':
        case '\0':
            idx = member_index(mname);
            if (idx == -2 || idx == -1)
                return cg__fail(err, CG_E_INVAL, "%s: unexpected member %.80s (a package holds "
                                                 "manifest.json, its .minisig and the three "
                                                 "payloads only)", name, mname);
            if (out->data[idx] != NULL)
                return cg__fail(err, CG_E_INVAL, "%s: %s is in the archive twice", name,
                                cg__package_tar_files[idx]);
            out->data[idx] = h + BLOCK;
            out->len[idx] = (size_t)size;
            break;
        case '5':
            if (member_index(mname) != -1)
                return cg__fail(err, CG_E_INVAL, "%s: unexpected directory %.80s", name, mname);
            break;
        case 'x':
        case 'g':
            break; /* pax attributes (mtime, ...): nothing a package needs */
        default:
            return cg__fail(err, CG_E_INVAL, "%s: member %.80s is not a regular file (type "
                                             "'%c'): links and devices are refused", name, mname,
                            h[156] >= 0x20 && h[156] < 0x7f ? h[156] : '?');
        }
        off += BLOCK + padded;
    }
}

cg_status cg__package_tar_read(void *ud, const char *file, uint64_t max, uint8_t **buf,
                               size_t *len, cg_error *err)
{
    const cg__package_tar *t = ud;

    *buf = NULL;
    *len = 0;
    for (int i = 0; i < 5; i++) {
        if (strcmp(file, cg__package_tar_files[i]) != 0)
            continue;
        if (t->data[i] == NULL)
            break;
        if (max > 0 && t->len[i] > max)
            return cg__fail(err, CG_E_LIMIT, "%s: %s is larger than %llu bytes", t->name, file,
                            (unsigned long long)max);
        *buf = cg__malloc(t->len[i] + 1);
        if (*buf == NULL)
            return cg__fail(err, CG_E_NOMEM, "%s: out of memory", t->name);
        memcpy(*buf, t->data[i], t->len[i]);
        (*buf)[t->len[i]] = 0;
        *len = t->len[i];
        return CG_OK;
    }
    return cg__fail(err, CG_E_NOTFOUND, "%s: %s is not in the archive", t->name, file);
}
