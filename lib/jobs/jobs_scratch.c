/* lib/jobs/jobs_scratch.c — a job's scratch directory,
 * <data_dir>/scratch/<job_id>: lib/train downloads remote data there, and
 * the worker removes it when the job ends, whatever the outcome, so the
 * data dir does not fill up with old downloads. A crash can leave one
 * behind; the next run of the same job starts by clearing it. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/jobs/jobs_internal.h"

aia_status jobs_scratch_make(const char *data_dir, const char *job_id, char *out, size_t size, aia_error *err) {
    int n = snprintf(out, size, "%s/scratch", data_dir);
    if (n < 0 || (size_t)n >= size)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "data_dir: path too long (%s)", data_dir);
    if (mkdir(out, 0755) != 0 && errno != EEXIST)
        return aia_error_set(err, AIA_INTERNAL, "creating scratch directory %s: %s", out, strerror(errno));
    n = snprintf(out, size, "%s/scratch/%s", data_dir, job_id);
    if (n < 0 || (size_t)n >= size)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "data_dir: path too long (%s)", data_dir);
    jobs_scratch_remove(out);
    if (mkdir(out, 0700) != 0)
        return aia_error_set(err, AIA_INTERNAL, "creating scratch directory %s: %s", out, strerror(errno));
    return AIA_OK;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0; /* keep going: best effort */
}

void jobs_scratch_remove(const char *dir) {
    struct stat sb;
    if (lstat(dir, &sb) != 0) return;
    /* Depth first (children before their directory), never following
     * symlinks out of the scratch space. */
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
