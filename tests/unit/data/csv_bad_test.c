/* The malformed-CSV corpus: every file in tests/data/csv_bad must fail with
 * the status and message its line in EXPECTED gives (see make_corpus.py
 * there for the format). Files reach the test as Bazel runfiles, found
 * through TEST_SRCDIR/TEST_WORKSPACE; run by hand from the repository root,
 * the source tree is used. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/testutil/runfiles.h"

#include "lib/data/csv.h"
#include "lib/data/labels.h"
#include "lib/data/split.h"

#define CORPUS "tests/data/csv_bad"
#define MIN_CASES 30

static void corpus_dir(char *out, size_t cap)
{
    test_data_path(CORPUS, out, cap);
}

static aia_column_type parse_type(const char *s)
{
    if (strcmp(s, "numeric") == 0) return AIA_COLUMN_NUMERIC;
    if (strcmp(s, "boolean") == 0) return AIA_COLUMN_BOOLEAN;
    if (strcmp(s, "categorical") == 0) return AIA_COLUMN_CATEGORICAL;
    fail_msg("EXPECTED: unknown type '%s'", s);
    return AIA_COLUMN_NUMERIC;
}

typedef struct checks {
    aia_csv_options opts;
    aia_csv_schema_entry schema[8];
    char storage[512];          /* the options text, cut into names in place */
    const char *target;
    const char *classification_target;
    const char *kfold_column;
    size_t kfold_k;
} checks;

/* "schema=age:numeric delimiter=; target=y ..." */
static void parse_options(char *text, checks *c)
{
    memset(c, 0, sizeof *c);
    aia_csv_options_init(&c->opts);
    c->opts.schema = c->schema;
    if (!text) return;
    snprintf(c->storage, sizeof c->storage, "%s", text);
    char *save = NULL;
    for (char *opt = strtok_r(c->storage, " ", &save); opt; opt = strtok_r(NULL, " ", &save)) {
        char *value = strchr(opt, '=');
        if (!value) fail_msg("EXPECTED: option '%s' lacks '='", opt);
        *value++ = '\0';
        if (strcmp(opt, "schema") == 0) {
            char *save2 = NULL;
            for (char *e = strtok_r(value, ",", &save2); e; e = strtok_r(NULL, ",", &save2)) {
                char *type = strchr(e, ':');
                if (!type || c->opts.schema_len == 8) fail_msg("EXPECTED: bad schema '%s'", e);
                *type++ = '\0';
                c->schema[c->opts.schema_len].column = e;
                c->schema[c->opts.schema_len++].type = parse_type(type);
            }
        } else if (strcmp(opt, "delimiter") == 0) {
            c->opts.delimiter = strcmp(value, "\\t") == 0 ? '\t' : value[0];
        } else if (strcmp(opt, "target") == 0) {
            c->target = value;
        } else if (strcmp(opt, "classification_target") == 0) {
            c->classification_target = value;
        } else if (strcmp(opt, "stratified_kfold") == 0) {
            char *k = strchr(value, ':');
            if (!k) fail_msg("EXPECTED: stratified_kfold needs column:k");
            *k++ = '\0';
            c->kfold_column = value;
            c->kfold_k = (size_t)strtoul(k, NULL, 10);
        } else {
            fail_msg("EXPECTED: unknown option '%s'", opt);
        }
    }
}

/* Reads the file, then runs the check its options ask for. */
static aia_status run_case(const char *path, checks *c, aia_error *err)
{
    aia_frame *f = NULL;
    aia_status st = aia_csv_read_file(path, &c->opts, &f, err);
    if (st != AIA_OK) {
        assert_null(f);
        return st;
    }
    if (c->target) st = aia_frame_check_target(f, c->target, NULL, err);
    if (st == AIA_OK && c->classification_target)
        st = aia_frame_check_classification_target(f, c->classification_target, err);
    if (st == AIA_OK && c->kfold_column) {
        size_t col = 0;
        aia_class_labels labels;
        st = aia_frame_find(f, c->kfold_column, &col, err);
        if (st == AIA_OK) st = aia_class_labels_from_column(f, col, &labels, err);
        if (st == AIA_OK) {
            aia_folds folds;
            st = aia_split_kfold(aia_frame_n_rows(f), c->kfold_k, &labels, 1, &folds, err);
            if (st == AIA_OK) aia_folds_free(&folds);
            aia_class_labels_free(&labels);
        }
    }
    aia_frame_free(f);
    return st;
}

static int listed(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], name) == 0) return 1;
    }
    return 0;
}

static void every_bad_file_gives_its_error(void **state)
{
    (void)state;
    char dir[4096], index[4200];
    corpus_dir(dir, sizeof dir);
    snprintf(index, sizeof index, "%s/EXPECTED", dir);
    FILE *fp = fopen(index, "r");
    if (!fp) fail_msg("cannot open %s", index);
    char line[2048];
    char *names[256];
    size_t n_cases = 0, n_failed = 0;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0') continue;
        char *save = NULL;
        char *file = strtok_r(line, "\t", &save);
        char *status = strtok_r(NULL, "\t", &save);
        char *needle = strtok_r(NULL, "\t", &save);
        char *options = strtok_r(NULL, "\t", &save);
        if (!file || !status || !needle) fail_msg("EXPECTED: malformed line for '%s'", line);
        if (n_cases == 256) fail_msg("EXPECTED: more than 256 cases");
        names[n_cases++] = strdup(file);
        int known = 0;
        aia_status want = aia_status_from_name(status, &known);
        if (!known) fail_msg("EXPECTED: unknown status '%s' for %s", status, file);

        checks c;
        parse_options(options, &c);
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, file);
        aia_error err;
        aia_error_clear(&err);
        aia_status got = run_case(path, &c, &err);
        if (got != want || err.code != want || !strstr(err.message, needle)) {
            print_error("%s: expected %s containing \"%s\"\n    got %s: %s\n", file,
                        aia_status_name(want), needle, aia_status_name(got), err.message);
            n_failed++;
        }
    }
    fclose(fp);

    /* Every corpus file has its expectation: none is skipped silently. */
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len > 4 && strcmp(e->d_name + len - 4, ".csv") == 0 && !listed(names, n_cases, e->d_name)) {
            print_error("%s is in the corpus but not in EXPECTED\n", e->d_name);
            n_failed++;
        }
    }
    closedir(d);
    for (size_t i = 0; i < n_cases; i++) free(names[i]);
    assert_true(n_cases >= MIN_CASES);
    assert_int_equal(n_failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_bad_file_gives_its_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
