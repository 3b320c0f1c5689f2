/* lib/data/frame_internal.h — how lib/data's readers fill a frame in place
 * (internal to lib/data; users go through frame.h).
 *
 * The CSV reader grows its column arrays itself and hands them over, so a
 * column is never copied on its way into the frame.
 */
#ifndef AIA_DATA_FRAME_INTERNAL_H
#define AIA_DATA_FRAME_INTERNAL_H

#include "lib/data/frame.h"

struct aia_frame {
    size_t n_rows;
    size_t n_cols, cap_cols;
    aia_column *cols;
    char *source;
};

/* Appends a zeroed column named name[0..name_len) and returns it, or NULL when
 * out of memory. The caller fills type, the value array, the bitmap and
 * n_missing; the frame then owns them (freed with free()). Does not check
 * names: callers do, with their own messages. */
aia_column *aia_frame_push_column(aia_frame *f, const char *name, size_t name_len);

/* Words in a missing bitmap for n rows. */
static inline size_t aia_bitmap_words(size_t n) { return (n + 63) / 64; }

#endif
