/* bench/drift/drift_bench.c — aia's side of the drift benchmark
 * (bench/drift_evidently.sh, issue 6) for the library alone: lib/drift
 * called directly, no server (DriftService end to end is
 * bench/drift/service.py).
 *
 * Loads a reference and a current CSV with lib/data (timed apart), then
 * checks every column the way Evidently's DataDriftPreset does by default
 * when the reference has more than 1,000 rows:
 *   - numeric columns: normed Wasserstein distance (Wasserstein-1 over the
 *     reference's population standard deviation), drift when >= 0.1;
 *   - categorical columns: Jensen-Shannon distance of the category
 *     frequencies, drift when >= 0.1 — with natural logarithms, as Evidently
 *     computes it (scipy's jensenshannon with base=None): lib/drift returns
 *     the base-2 distance d2, and the natural-log one is d2 * sqrt(ln 2)
 *     (the divergence scales by 1/ln 2, the distance by its square root).
 * The check runs in two phases, as a monitor would: "prepare" copies and
 * sorts every reference column once (and counts the reference categories),
 * "check" copies each current column, and computes the statistic against
 * the sorted reference. It runs once per thread count given (--threads
 * 1,2), the columns spread over a lib/base team, --repeats times each
 * (sub-second timings are easily disturbed: the report takes the median);
 * all runs must agree to the bit, and the program fails if they do not.
 *
 * Memory: VmHWM (/proc/self/status) after loading, and for each run the
 * high-water mark over that run alone (reset through /proc/self/clear_refs
 * before it; "hwm_reset": false when the kernel refused, the figure then
 * being the process's peak so far).
 *
 * Prints one JSON object on stdout.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/common/benchutil.h"
#include "lib/base/status.h"
#include "lib/base/team.h"
#include "lib/data/csv.h"
#include "lib/data/frame.h"
#include "lib/drift/categorical.h"
#include "lib/drift/numeric.h"

#define THRESHOLD 0.1
#define MAX_RUNS 8
#define MAX_REPEATS 20

static void die(const char *what, const aia_error *err) {
    fprintf(stderr, "aia-drift-bench: %s: %s\n", what, err ? err->message : strerror(errno));
    exit(1);
}

static aia_frame *load(const char *path) {
    aia_error err;
    aia_frame *f = NULL;
    if (aia_csv_read_file(path, NULL, &f, &err) != AIA_OK) die("reading CSV", &err);
    return f;
}

/* One column of the check: the reference and current columns of the same
 * name, and what each phase leaves behind. */
typedef struct feature {
    const aia_column *ref, *cur;
    size_t n_ref, n_cur;
    /* prepare: the sorted reference (numeric), or the reference counts
     * indexed by the reference's dictionary (categorical) */
    double *ref_sorted;
    size_t n_ref_finite;
    /* check: the statistic and the verdict */
    double statistic;
    int drifted;
    aia_status status;
    aia_error err;
} feature;

typedef struct job {
    feature *f;
    size_t n;
} job;

static void prepare_one(feature *f) {
    if (f->ref->type != AIA_COLUMN_NUMERIC) return; /* categories are counted in check */
    f->ref_sorted = malloc(f->n_ref * sizeof *f->ref_sorted);
    if (!f->ref_sorted) {
        f->status = aia_error_set(&f->err, AIA_RESOURCE_EXHAUSTED, "%s: no memory", f->ref->name);
        return;
    }
    memcpy(f->ref_sorted, f->ref->numeric, f->n_ref * sizeof *f->ref_sorted);
    f->status = aia_drift_sort_clean(f->ref_sorted, f->n_ref, &f->n_ref_finite, f->ref->name,
                                     &f->err);
}

static void check_numeric(feature *f) {
    double *cur = malloc(f->n_cur * sizeof *cur);
    if (!cur) {
        f->status = aia_error_set(&f->err, AIA_RESOURCE_EXHAUSTED, "%s: no memory", f->cur->name);
        return;
    }
    memcpy(cur, f->cur->numeric, f->n_cur * sizeof *cur);
    aia_wasserstein_result w;
    f->status = aia_drift_wasserstein(f->ref_sorted, f->n_ref_finite, cur, f->n_cur, &w, &f->err);
    free(cur);
    if (f->status != AIA_OK) return;
    f->statistic = w.normed;
    f->drifted = w.normed >= THRESHOLD;
}

/* Counts both sides over the union of their categories, matched by string
 * (each frame numbers its dictionary in first-seen order): reference
 * categories first, then those only the current data has. */
static void check_categorical(feature *f) {
    const aia_column *r = f->ref, *c = f->cur;
    size_t nr = r->dictionary_size, nc = c->dictionary_size, cap = nr + nc;
    int64_t *ref_counts = calloc(cap ? cap : 1, sizeof *ref_counts);
    int64_t *cur_counts = calloc(cap ? cap : 1, sizeof *cur_counts);
    int64_t *cur_by_code = calloc(nc ? nc : 1, sizeof *cur_by_code);
    size_t *slot = malloc((nc ? nc : 1) * sizeof *slot);
    if (!ref_counts || !cur_counts || !cur_by_code || !slot) {
        f->status = aia_error_set(&f->err, AIA_RESOURCE_EXHAUSTED, "%s: no memory", r->name);
        goto out;
    }
    for (size_t i = 0; i < f->n_ref; i++)
        if (r->codes[i] >= 0) ref_counts[r->codes[i]]++;
    for (size_t i = 0; i < f->n_cur; i++)
        if (c->codes[i] >= 0) cur_by_code[c->codes[i]]++;
    size_t n = nr;
    for (size_t k = 0; k < nc; k++) {
        size_t s = 0;
        while (s < nr && strcmp(r->dictionary[s], c->dictionary[k]) != 0) s++;
        slot[k] = s < nr ? s : n++;
        cur_counts[slot[k]] += cur_by_code[k];
    }
    double d2;
    f->status = aia_drift_jensen_shannon(ref_counts, cur_counts, n, &d2, &f->err);
    if (f->status != AIA_OK) goto out;
    f->statistic = d2 * sqrt(M_LN2); /* Evidently's natural-log distance */
    f->drifted = f->statistic >= THRESHOLD;
out:
    free(ref_counts);
    free(cur_counts);
    free(cur_by_code);
    free(slot);
}

/* Columns are dealt to the parts in turn (numeric ones first, the costly
 * ones), so two threads get 10 numeric columns each. */
static void prepare_part(void *arg, int part, int n_parts) {
    job *j = arg;
    for (size_t i = (size_t)part; i < j->n; i += (size_t)n_parts) prepare_one(&j->f[i]);
}

static void check_part(void *arg, int part, int n_parts) {
    job *j = arg;
    for (size_t i = (size_t)part; i < j->n; i += (size_t)n_parts) {
        feature *f = &j->f[i];
        if (f->status != AIA_OK) continue;
        if (f->ref->type == AIA_COLUMN_NUMERIC)
            check_numeric(f);
        else
            check_categorical(f);
    }
}

typedef struct run_result {
    int threads, repeat, hwm_reset;
    double prepare_s, check_s;
    long rss_before_kb, hwm_kb;
} run_result;

static void run(feature *fs, size_t n, int threads, run_result *out) {
    aia_error err;
    aia_team *team = NULL;
    if (aia_team_create(threads, &team, &err) != AIA_OK) die("aia_team_create", &err);
    for (size_t i = 0; i < n; i++) {
        fs[i].ref_sorted = NULL;
        fs[i].status = AIA_OK;
        fs[i].statistic = NAN;
        fs[i].drifted = 0;
    }
    out->threads = threads;
    out->rss_before_kb = bench_status_kb("VmRSS");
    out->hwm_reset = bench_reset_hwm();
    job j = {fs, n};
    double t0 = bench_now_s();
    aia_team_run(team, prepare_part, &j);
    double t1 = bench_now_s();
    aia_team_run(team, check_part, &j);
    double t2 = bench_now_s();
    out->hwm_kb = bench_status_kb("VmHWM");
    out->prepare_s = t1 - t0;
    out->check_s = t2 - t1;
    for (size_t i = 0; i < n; i++) {
        if (fs[i].status != AIA_OK) die(fs[i].ref->name, &fs[i].err);
        free(fs[i].ref_sorted);
        fs[i].ref_sorted = NULL;
    }
    aia_team_destroy(team);
}

/* The columns of both frames, matched by name: numeric ones first, in the
 * reference's order, then the categorical ones. */
static feature *match_columns(const aia_frame *ref, const aia_frame *cur, size_t *n_out) {
    size_t nc = aia_frame_n_cols(ref), n = 0;
    feature *fs = calloc(nc ? nc : 1, sizeof *fs);
    if (!fs) die("calloc", NULL);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < nc; k++) {
            const aia_column *r = aia_frame_column(ref, k);
            if ((r->type == AIA_COLUMN_NUMERIC) != (pass == 0)) continue;
            if (r->type == AIA_COLUMN_BOOLEAN) {
                fprintf(stderr, "aia-drift-bench: column '%s' is boolean (not in this benchmark)\n",
                        r->name);
                exit(1);
            }
            aia_error err;
            size_t kc;
            if (aia_frame_find(cur, r->name, &kc, &err) != AIA_OK) die("current data", &err);
            const aia_column *c = aia_frame_column(cur, kc);
            if (c->type != r->type) {
                fprintf(stderr, "aia-drift-bench: column '%s' is %s in reference, %s in current\n",
                        r->name, aia_column_type_name(r->type), aia_column_type_name(c->type));
                exit(1);
            }
            fs[n].ref = r;
            fs[n].cur = c;
            fs[n].n_ref = aia_frame_n_rows(ref);
            fs[n].n_cur = aia_frame_n_rows(cur);
            n++;
        }
    }
    *n_out = n;
    return fs;
}

static int parse_threads(const char *s, int *out) {
    int n = 0;
    char *end;
    while (*s) {
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 64 || n == MAX_RUNS) return -1;
        out[n++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return -1;
    }
    return n;
}

int main(int argc, char **argv) {
    const char *ref_path = NULL, *cur_path = NULL, *threads_arg = "1,2";
    int repeats = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--reference")) ref_path = argv[i + 1];
        else if (!strcmp(argv[i], "--current")) cur_path = argv[i + 1];
        else if (!strcmp(argv[i], "--threads")) threads_arg = argv[i + 1];
        else if (!strcmp(argv[i], "--repeats")) repeats = atoi(argv[i + 1]);
        else ref_path = NULL, i = argc;
    }
    int threads[MAX_RUNS];
    int n_runs = parse_threads(threads_arg, threads);
    if (!ref_path || !cur_path || argc % 2 == 0 || n_runs < 1 || repeats < 1 ||
        repeats > MAX_REPEATS) {
        fprintf(stderr, "usage: aia-drift-bench --reference F --current F [--threads 1,2] "
                        "[--repeats 1..%d]\n", MAX_REPEATS);
        return 2;
    }

    double t0 = bench_now_s();
    aia_frame *ref = load(ref_path);
    double t1 = bench_now_s();
    aia_frame *cur = load(cur_path);
    double t2 = bench_now_s();
    long hwm_load = bench_status_kb("VmHWM");

    size_t n;
    feature *fs = match_columns(ref, cur, &n);
    run_result runs[MAX_RUNS * MAX_REPEATS];
    int n_done = n_runs * repeats;
    double *first = malloc((n ? n : 1) * sizeof *first);
    int *first_drift = malloc((n ? n : 1) * sizeof *first_drift);
    if (!first || !first_drift) die("malloc", NULL);
    for (int r = 0; r < n_done; r++) {
        run(fs, n, threads[r / repeats], &runs[r]);
        runs[r].repeat = r % repeats;
        for (size_t i = 0; i < n; i++) {
            if (r == 0) {
                first[i] = fs[i].statistic;
                first_drift[i] = fs[i].drifted;
            } else if (memcmp(&first[i], &fs[i].statistic, sizeof first[i]) != 0 ||
                       first_drift[i] != fs[i].drifted) {
                fprintf(stderr, "aia-drift-bench: '%s': %d threads gave %.17g, %d gave %.17g\n",
                        fs[i].ref->name, threads[0], first[i], runs[r].threads,
                        fs[i].statistic);
                return 1;
            }
        }
    }

    printf("{\n \"tool\": \"aia\",\n \"label\": \"lib/drift alone (the library, no server)\",\n");
    printf(" \"rows_reference\": %zu,\n \"rows_current\": %zu,\n", aia_frame_n_rows(ref),
           aia_frame_n_rows(cur));
    printf(" \"load\": {\"reference_s\": %.6f, \"current_s\": %.6f, \"total_s\": %.6f, "
           "\"hwm_kb\": %ld},\n",
           t1 - t0, t2 - t1, t2 - t0, hwm_load);
    printf(" \"runs\": [\n");
    for (int r = 0; r < n_done; r++)
        printf("  {\"threads\": %d, \"repeat\": %d, \"prepare_s\": %.6f, \"check_s\": %.6f, \"total_s\": %.6f, "
               "\"rss_before_kb\": %ld, \"hwm_kb\": %ld, \"hwm_reset\": %s}%s\n",
               runs[r].threads, runs[r].repeat, runs[r].prepare_s, runs[r].check_s,
               runs[r].prepare_s + runs[r].check_s, runs[r].rss_before_kb, runs[r].hwm_kb,
               runs[r].hwm_reset ? "true" : "false", r + 1 < n_done ? "," : "");
    printf(" ],\n \"features\": [\n");
    for (size_t i = 0; i < n; i++) {
        int num = fs[i].ref->type == AIA_COLUMN_NUMERIC;
        printf("  {\"column\": \"%s\", \"type\": \"%s\", \"method\": \"%s\", \"statistic\": %.17g, "
               "\"threshold\": %g, \"drifted\": %s}%s\n",
               fs[i].ref->name, num ? "numeric" : "categorical",
               num ? "wasserstein_normed" : "jensenshannon_ln", fs[i].statistic, THRESHOLD,
               fs[i].drifted ? "true" : "false", i + 1 < n ? "," : "");
    }
    printf(" ],\n \"drifted\": [");
    int k = 0;
    for (size_t i = 0; i < n; i++)
        if (fs[i].drifted) printf("%s\"%s\"", k++ ? ", " : "", fs[i].ref->name);
    printf("]\n}\n");

    free(first);
    free(first_drift);
    free(fs);
    aia_frame_free(ref);
    aia_frame_free(cur);
    return 0;
}
