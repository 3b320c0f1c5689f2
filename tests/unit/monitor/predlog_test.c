/* tests/unit/monitor/predlog_test.c — reading prediction logs back as drift
 * windows: logs written by hand (several files, partial and malformed lines,
 * nulls), version filters, continuing from a position, the last max_rows
 * across files, finding by id, counting, rotated-away positions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/monitor/predlog.h"

#define T0 1795671872LL /* 2026-11-26T05:44:32Z */

static const aia_predlog_schema_col SCHEMA[] = {
    {"f1", AIA_COLUMN_NUMERIC},
    {"f2", AIA_COLUMN_CATEGORICAL},
    {"f3", AIA_COLUMN_BOOLEAN},
};

typedef struct tdir {
    char root[512];
    char model[600];
} tdir;

#define OK(expr)                                                                                 \
    do {                                                                                         \
        aia_status rc_ = (expr);                                                                 \
        if (rc_ != AIA_OK) fail_msg("%s -> %s: %s", #expr, aia_status_name(rc_), err.message); \
    } while (0)

static void make_dir(tdir *d)
{
    const char *base = getenv("TEST_TMPDIR");
    snprintf(d->root, sizeof d->root, "%s/predlogXXXXXX", base ? base : "/tmp");
    assert_non_null(mkdtemp(d->root));
    snprintf(d->model, sizeof d->model, "%s/predictions", d->root);
    assert_int_equal(mkdir(d->model, 0755), 0);
    snprintf(d->model, sizeof d->model, "%s/predictions/m", d->root);
    assert_int_equal(mkdir(d->model, 0755), 0);
}

static void file_path(const tdir *d, unsigned seq, char *out, size_t size)
{
    snprintf(out, size, "%s/predictions-%020u.jsonl", d->model, seq);
}

static void put(const tdir *d, unsigned seq, const char *mode, const char *text)
{
    char path[700];
    file_path(d, seq, path, sizeof path);
    FILE *fp = fopen(path, mode);
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    fclose(fp);
}

static uint64_t size_of(const tdir *d, unsigned seq)
{
    char path[700];
    struct stat sb;
    file_path(d, seq, path, sizeof path);
    assert_int_equal(stat(path, &sb), 0);
    return (uint64_t)sb.st_size;
}

/* A classification line: id "id<k>" padded, second k of T0. */
static const char *cls(int k, int version, const char *inputs, const char *label, double p_yes)
{
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"prediction_id\":\"%032d\",\"time\":\"2026-11-26T05:44:%02d.250Z\",\"model_id\":\"m\","
             "\"version\":%d,\"deployment_id\":null,\"inputs\":%s,\"label\":\"%s\","
             "\"probabilities\":{\"no\":%.17g,\"yes\":%.17g}}\n",
             k, 32 + k % 20, version, inputs, label, 1 - p_yes, p_yes);
    return buf;
}

static const char *id_of(int k)
{
    static char buf[40];
    snprintf(buf, sizeof buf, "%032d", k);
    return buf;
}

static aia_predlog_query query(const tdir *d)
{
    return (aia_predlog_query){.data_dir = d->root, .model_id = "m", .schema = SCHEMA, .n_schema = 3,
                               .positive_label = "yes"};
}

static const char *cat(const aia_predlog_window *w, size_t col, size_t row)
{
    const aia_column *c = aia_frame_column(w->inputs, col);
    return c->codes[row] < 0 ? NULL : c->dictionary[c->codes[row]];
}

static double num(const aia_predlog_window *w, size_t row)
{
    return aia_frame_column(w->inputs, 0)->numeric[row];
}

/* file 1: rows 1, 2; file 2: row 3, a malformed line, a wrong type, a
 * missing column, row 4 (nulls), and a partial line being written. */
static void write_two_files(const tdir *d)
{
    char text[8192] = "";
    strcat(text, cls(1, 1, "{\"f1\":1.5,\"f2\":\"a\",\"f3\":true}", "yes", 0.8));
    strcat(text, cls(2, 2, "{\"f1\":-2,\"f2\":\"b\",\"f3\":false,\"extra\":[1]}", "no", 0.1));
    put(d, 1, "w", text);
    text[0] = '\0';
    strcat(text, cls(3, 2, "{\"f1\":3e2,\"f2\":true,\"f3\":false}", "yes", 0.9));
    strcat(text, "{\"prediction_id\": not json\n");
    strcat(text, cls(90, 2, "{\"f1\":\"x\",\"f2\":\"a\",\"f3\":true}", "yes", 0.5));
    strcat(text, cls(91, 2, "{\"f1\":1,\"f3\":true}", "yes", 0.5));
    strcat(text, cls(4, 2, "{\"f1\":null,\"f2\":null,\"f3\":null}", "no", 0.3));
    put(d, 2, "w", text);
    put(d, 2, "a", "{\"prediction_id\":\"0000000000000000000000000000000");
}

static void test_missing_directory_is_empty(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    aia_predlog_query q = query(&d);
    q.model_id = "other";
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 0);
    assert_int_equal(aia_frame_n_cols(w->inputs), 3);
    assert_int_equal(aia_frame_n_rows(w->inputs), 0);
    assert_null(w->labels);
    assert_int_equal(w->end.seq, 0);
    size_t rows = 99;
    aia_predlog_pos end;
    OK(aia_predlog_count_after(d.root, "other", (aia_predlog_pos){0, 0}, &rows, &end, &err));
    assert_int_equal(rows, 0);
    aia_predlog_window_free(w);
}

static void test_reads_files_skips_bad_lines(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    write_two_files(&d);
    aia_predlog_query q = query(&d);
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 4);
    assert_int_equal(w->skipped_lines, 3); /* malformed, wrong type, missing column; not the partial line */
    assert_string_equal(w->prediction_ids[0], id_of(1));
    assert_string_equal(w->prediction_ids[3], id_of(4));
    assert_int_equal(w->versions[0], 1);
    assert_int_equal(w->versions[1], 2);
    assert_true(w->times_ns[0] == (T0 + 1) * 1000000000LL + 250000000LL);
    /* numeric, categorical (a boolean logged as text), boolean; nulls missing */
    assert_true(num(w, 0) == 1.5 && num(w, 1) == -2 && num(w, 2) == 300);
    assert_true(isnan(num(w, 3)));
    assert_string_equal(cat(w, 1, 0), "a");
    assert_string_equal(cat(w, 1, 2), "true");
    assert_null(cat(w, 1, 3));
    const aia_column *b = aia_frame_column(w->inputs, 2);
    assert_int_equal(b->boolean[0], 1);
    assert_int_equal(b->boolean[1], 0);
    for (size_t c = 0; c < 3; c++) {
        assert_true(aia_frame_is_missing(w->inputs, c, 3));
        assert_false(aia_frame_is_missing(w->inputs, c, 0));
    }
    assert_non_null(w->labels);
    assert_null(w->values);
    assert_string_equal(w->labels[0], "yes");
    assert_string_equal(w->labels[3], "no");
    assert_true(fabs(w->positive_probability[0] - 0.8) < 1e-12);
    assert_true(fabs(w->positive_probability[3] - 0.3) < 1e-12);
    /* the end is before the partial line, in the newest file */
    assert_int_equal(w->end.seq, 2);
    assert_int_equal(w->end.offset, size_of(&d, 2) - strlen("{\"prediction_id\":\"0000000000000000000000000000000"));
    aia_predlog_window_free(w);
}

static void test_version_filter(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    write_two_files(&d);
    aia_predlog_query q = query(&d);
    q.version = 1;
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 1);
    assert_string_equal(w->prediction_ids[0], id_of(1));
    aia_predlog_window_free(w);
    q.version = 2;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 3);
    assert_string_equal(w->prediction_ids[0], id_of(2));
    aia_predlog_window_free(w);
    q.version = 7;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 0);
    assert_int_equal(w->end.seq, 2); /* the lines were read even though none matched */
    aia_predlog_window_free(w);
}

static void test_continue_after_end(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    write_two_files(&d);
    aia_predlog_query q = query(&d);
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    q.after = w->end;
    aia_predlog_window_free(w);
    /* nothing new: nothing read, the same end */
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 0);
    assert_int_equal(w->skipped_lines, 0);
    assert_memory_equal(&w->end, &q.after, sizeof q.after);
    aia_predlog_window_free(w);
    /* the writer finishes its line, then rotates to file 3 */
    put(&d, 2, "a",
        "5\",\"time\":\"2026-11-26T05:44:40Z\",\"version\":3,\"inputs\":{\"f1\":5,\"f2\":\"c\",\"f3\":true},"
        "\"label\":\"yes\"}\n");
    put(&d, 3, "w", cls(6, 3, "{\"f1\":6,\"f2\":\"d\",\"f3\":false}", "no", 0.4));
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 2);
    assert_string_equal(w->prediction_ids[0], "00000000000000000000000000000005");
    assert_string_equal(w->prediction_ids[1], id_of(6));
    assert_true(isnan(w->positive_probability[0])); /* that line had no probabilities */
    assert_true(num(w, 0) == 5 && num(w, 1) == 6);
    assert_int_equal(w->end.seq, 3);
    assert_int_equal(w->end.offset, size_of(&d, 3));
    aia_predlog_window_free(w);
}

static void test_max_rows_keeps_last_across_files(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    char text[8192] = "";
    for (int k = 1; k <= 3; k++) strcat(text, cls(k, 1, "{\"f1\":1,\"f2\":\"a\",\"f3\":true}", "yes", 0.5));
    put(&d, 4, "w", text);
    text[0] = '\0';
    for (int k = 4; k <= 5; k++) strcat(text, cls(k, 1, "{\"f1\":2,\"f2\":\"b\",\"f3\":true}", "yes", 0.5));
    put(&d, 5, "w", text);
    aia_predlog_query q = query(&d);
    q.max_rows = 3;
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 3);
    assert_string_equal(w->prediction_ids[0], id_of(3));
    assert_string_equal(w->prediction_ids[1], id_of(4));
    assert_string_equal(w->prediction_ids[2], id_of(5));
    assert_true(num(w, 0) == 1 && num(w, 2) == 2);
    assert_int_equal(w->end.seq, 5);
    aia_predlog_window_free(w);
}

/* Many rows: the ring grows past its first size, then wraps many times. */
static void test_max_rows_many(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    char path[700];
    file_path(&d, 1, path, sizeof path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    char in[64];
    for (int k = 0; k < 3000; k++) {
        snprintf(in, sizeof in, "{\"f1\":%d,\"f2\":\"c%d\",\"f3\":false}", k, k % 7);
        fputs(cls(k, 1, in, "no", 0.25), fp);
    }
    fclose(fp);
    aia_predlog_query q = query(&d);
    q.max_rows = 700;
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 700);
    for (size_t r = 0; r < 700; r++) assert_true(num(w, r) == 2300 + (double)r);
    assert_string_equal(cat(w, 1, 0), "c4"); /* 2300 % 7 */
    aia_predlog_window_free(w);
    q.max_rows = 0;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 3000);
    assert_true(num(w, 2999) == 2999);
    aia_predlog_window_free(w);
}

static void test_find_by_ids(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    write_two_files(&d);
    char id4[40], id1[40];
    snprintf(id4, sizeof id4, "%s", id_of(4));
    snprintf(id1, sizeof id1, "%s", id_of(1));
    const char *ids[] = {id4, "nope", id1, id4, id_of(90) /* a skipped line */};
    int found[5] = {9, 9, 9, 9, 9};
    aia_predlog_window *w = NULL;
    OK(aia_predlog_find(d.root, "m", SCHEMA, 3, ids, 4, found, &w, &err));
    assert_int_equal(w->n_rows, 4);
    assert_int_equal(found[0], 1);
    assert_int_equal(found[1], 0);
    assert_int_equal(found[2], 1);
    assert_int_equal(found[3], 1);
    assert_string_equal(w->prediction_ids[0], id4);
    assert_string_equal(w->prediction_ids[1], "");
    assert_string_equal(w->prediction_ids[2], id1);
    assert_string_equal(w->labels[0], "no");
    assert_null(w->labels[1]);
    assert_string_equal(w->labels[2], "yes");
    assert_string_equal(w->labels[3], "no");
    assert_int_equal(w->versions[1], 0);
    assert_true(num(w, 2) == 1.5);
    for (size_t c = 0; c < 3; c++) assert_true(aia_frame_is_missing(w->inputs, c, 1));
    assert_string_equal(cat(w, 1, 2), "a");
    assert_int_equal(w->skipped_lines, 3);
    aia_predlog_window_free(w);

    const char *bad[] = {id_of(90)};
    OK(aia_predlog_find(d.root, "m", SCHEMA, 3, bad, 1, found, &w, &err));
    assert_int_equal(found[0], 0); /* its f1 was a string: skipped, not found */
    aia_predlog_window_free(w);
    OK(aia_predlog_find(d.root, "m", SCHEMA, 3, NULL, 0, NULL, &w, &err));
    assert_int_equal(w->n_rows, 0);
    aia_predlog_window_free(w);
}

static void test_count_after(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    write_two_files(&d);
    size_t rows = 0;
    aia_predlog_pos end;
    OK(aia_predlog_count_after(d.root, "m", (aia_predlog_pos){0, 0}, &rows, &end, &err));
    assert_int_equal(rows, 7); /* every complete line, bad ones too; not the partial one */
    aia_predlog_query q = query(&d);
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_memory_equal(&end, &w->end, sizeof end);
    aia_predlog_window_free(w);
    /* from after file 1's first line */
    size_t first = strlen(cls(1, 1, "{\"f1\":1.5,\"f2\":\"a\",\"f3\":true}", "yes", 0.8));
    OK(aia_predlog_count_after(d.root, "m", (aia_predlog_pos){1, first}, &rows, &end, &err));
    assert_int_equal(rows, 6);
    OK(aia_predlog_count_after(d.root, "m", end, &rows, &end, &err));
    assert_int_equal(rows, 0);
    put(&d, 2, "a", "\n"); /* ends the partial line */
    OK(aia_predlog_count_after(d.root, "m", end, &rows, &end, &err));
    assert_int_equal(rows, 1);
    assert_int_equal(end.offset, size_of(&d, 2));
}

static void test_rotated_away_position(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    write_two_files(&d);
    put(&d, 3, "w", cls(7, 2, "{\"f1\":7,\"f2\":\"g\",\"f3\":true}", "yes", 0.7));
    char path[700];
    file_path(&d, 1, path, sizeof path);
    assert_int_equal(unlink(path), 0);
    file_path(&d, 2, path, sizeof path);
    assert_int_equal(unlink(path), 0);
    aia_predlog_query q = query(&d);
    q.after = (aia_predlog_pos){1, 40}; /* inside a file that is gone */
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 1);
    assert_string_equal(w->prediction_ids[0], id_of(7));
    aia_predlog_window_free(w);
    /* a position past the newest file (the log was removed and restarted) */
    q.after = (aia_predlog_pos){9, 10};
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 1);
    aia_predlog_window_free(w);
    size_t rows;
    aia_predlog_pos end;
    OK(aia_predlog_count_after(d.root, "m", (aia_predlog_pos){2, 5}, &rows, &end, &err));
    assert_int_equal(rows, 1);
    assert_int_equal(end.seq, 3);
}

/* A partial line in an older file is a write the writer abandoned: skipped. */
static void test_partial_line_in_older_file(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    char text[4096] = "";
    strcat(text, cls(1, 1, "{\"f1\":1,\"f2\":\"a\",\"f3\":true}", "yes", 0.5));
    strcat(text, "{\"prediction_id\":\"abc");
    put(&d, 1, "w", text);
    put(&d, 2, "w", cls(2, 1, "{\"f1\":2,\"f2\":\"a\",\"f3\":true}", "yes", 0.5));
    aia_predlog_query q = query(&d);
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 2);
    assert_int_equal(w->skipped_lines, 1);
    aia_predlog_window_free(w);
}

static void test_regression_log(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    put(&d, 1, "w",
        "{\"prediction_id\":\"r1\",\"time\":\"2026-01-01T01:00:00+01:00\",\"model_id\":\"m\",\"version\":1,"
        "\"deployment_id\":\"m@1\",\"inputs\":{\"f1\":1,\"f2\":\"a\",\"f3\":false},\"value\":12.5}\n"
        "{\"prediction_id\":\"r2\",\"time\":\"2026-01-01T00:00:01.5Z\",\"model_id\":\"m\",\"version\":1,"
        "\"deployment_id\":null,\"inputs\":{\"f1\":2,\"f2\":\"a\",\"f3\":false},\"value\":null}\n"
        "{\"prediction_id\":\"r3\",\"time\":\"2026-13-01T00:00:00Z\",\"model_id\":\"m\",\"version\":1,"
        "\"deployment_id\":null,\"inputs\":{\"f1\":2,\"f2\":\"a\",\"f3\":false},\"value\":1}\n"
        "{\"prediction_id\":\"r4\",\"time\":\"2026-01-01T00:00:00Z\",\"model_id\":\"m\",\"version\":0,"
        "\"deployment_id\":null,\"inputs\":{\"f1\":2,\"f2\":\"a\",\"f3\":false},\"value\":1}\n"
        "{\"prediction_id\":\"r5\",\"time\":\"2026-01-01T00:00:00Z\",\"model_id\":\"m\",\"version\":1,"
        "\"deployment_id\":null,\"inputs\":{\"f1\":1e999,\"f2\":\"a\",\"f3\":false},\"value\":1}\n");
    aia_predlog_query q = query(&d);
    aia_predlog_window *w = NULL;
    OK(aia_predlog_read(&q, &w, &err));
    assert_int_equal(w->n_rows, 2);
    assert_int_equal(w->skipped_lines, 3); /* month 13, version 0, an infinite number */
    assert_null(w->labels);
    assert_null(w->positive_probability);
    assert_non_null(w->values);
    assert_true(w->values[0] == 12.5);
    assert_true(isnan(w->values[1]));
    assert_true(w->times_ns[0] == 1767225600LL * 1000000000LL);
    assert_true(w->times_ns[1] == 1767225601LL * 1000000000LL + 500000000LL);
    assert_string_equal(w->prediction_ids[0], "r1");
    aia_predlog_window_free(w);
}

static void test_bad_arguments(void **state)
{
    tdir d;
    aia_error err;
    make_dir(&d);
    aia_predlog_window *w = (aia_predlog_window *)&d;
    aia_predlog_query q = query(&d);
    q.model_id = "../etc";
    assert_int_equal(aia_predlog_read(&q, &w, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "model_id"));
    assert_null(w);
    q = query(&d);
    q.data_dir = NULL;
    assert_int_equal(aia_predlog_read(&q, &w, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "data_dir"));
    aia_predlog_schema_col dup[] = {{"a", AIA_COLUMN_NUMERIC}, {"a", AIA_COLUMN_BOOLEAN}};
    q = query(&d);
    q.schema = dup;
    q.n_schema = 2;
    assert_int_equal(aia_predlog_read(&q, &w, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "schema[1]"));
    dup[1].type = (aia_column_type)9;
    dup[1].name = "b";
    assert_int_equal(aia_predlog_read(&q, &w, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "type 9"));
    const char *ids[] = {NULL};
    int found[1];
    assert_int_equal(aia_predlog_find(d.root, "m", SCHEMA, 3, ids, 1, found, &w, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "ids[0]"));
    size_t rows;
    assert_int_equal(aia_predlog_count_after(d.root, "", (aia_predlog_pos){0, 0}, &rows, NULL, &err),
                     AIA_INVALID_ARGUMENT);
    /* an unreadable predictions directory is UNAVAILABLE naming it */
    if (geteuid() != 0) {
        assert_int_equal(chmod(d.model, 0), 0);
        q = query(&d);
        assert_int_equal(aia_predlog_read(&q, &w, &err), AIA_UNAVAILABLE);
        assert_non_null(strstr(err.message, d.model));
        assert_int_equal(chmod(d.model, 0755), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_directory_is_empty),
        cmocka_unit_test(test_reads_files_skips_bad_lines),
        cmocka_unit_test(test_version_filter),
        cmocka_unit_test(test_continue_after_end),
        cmocka_unit_test(test_max_rows_keeps_last_across_files),
        cmocka_unit_test(test_max_rows_many),
        cmocka_unit_test(test_find_by_ids),
        cmocka_unit_test(test_count_after),
        cmocka_unit_test(test_rotated_away_position),
        cmocka_unit_test(test_partial_line_in_older_file),
        cmocka_unit_test(test_regression_log),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
