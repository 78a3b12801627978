/* EXIF orientation, read with libexif. Reported to the user, never applied to pixels: the
 * reference PDQ hasher ignores it, and dihedral matching covers rotated copies. */
#include <libexif/exif-data.h>
#include <string.h>

#include "common/alloc.h"
#include "media/media_int.h"

int cg__exif_orientation(const uint8_t *data, size_t len)
{
    ExifData *ed;
    ExifEntry *entry;
    int orientation = 0;

    if (data == NULL || len < 8 || len > 0xFFFFFF)
        return 0;
    /* libexif expects the block to start with "Exif\0\0"; PNG eXIf and some HEIF blocks start at
     * the TIFF header, so those are given the prefix libexif looks for. */
    if (len >= 6 && memcmp(data, "Exif\0\0", 6) == 0) {
        ed = exif_data_new_from_data(data, (unsigned int)len);
    } else {
        uint8_t *tmp = cg__malloc(len + 6);

        if (tmp == NULL)
            return 0;
        memcpy(tmp, "Exif\0\0", 6);
        memcpy(tmp + 6, data, len);
        ed = exif_data_new_from_data(tmp, (unsigned int)(len + 6));
        cg__free(tmp);
    }
    if (ed == NULL)
        return 0;
    entry = exif_data_get_entry(ed, EXIF_TAG_ORIENTATION);
    if (entry != NULL && entry->format == EXIF_FORMAT_SHORT && entry->components >= 1 &&
        entry->size >= 2) {
        int v = exif_get_short(entry->data, exif_data_get_byte_order(ed));

        if (v >= 1 && v <= 8)
            orientation = v;
    }
    exif_data_unref(ed);
    return orientation;
}
