/* Seeded mutation testing of the CSV reader: thousands of damaged variants
 * of a few valid files must each give either a consistent frame or an error
 * with a message that names the input — never a crash, a hang or a leak
 * (run it under --config=asan). Deterministic: the seed is fixed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/data/csv.h"

static const char *const k_seeds[] = {
    "id,score,label,flag\n1,0.5,cat,true\n2,NA,dog,false\n3,1e3,\"a,b\",yes\n",
    "\xEF\xBB\xBFx;y\r\n\"multi\nline\";2\r\n\"q\"\"uote\";3\r\n",
    "a\tb\tc\n1\t2\t3\n\t\t\nNaN\tnull\tNone\n",
    "name,city\nJosé,Zürich\n名前,東京\n😀,\"x\"\n",
};

/* Bytes that matter to the tokenizer, plus invalid UTF-8. */
static const unsigned char k_interesting[] = {',', ';', '\t', '"', '\n', '\r', '0', '1',
                                              '.', 'e', '-', 0x00, 0x80, 0xC3, 0xED, 0xFF};

static size_t mutate(aia_rng *rng, const char *seed, unsigned char *out, size_t cap)
{
    size_t n = strlen(seed);
    memcpy(out, seed, n);
    int edits = 1 + (int)aia_rng_below(rng, 4);
    for (int e = 0; e < edits; e++) {
        size_t at = n ? aia_rng_below(rng, n + 1) : 0;
        unsigned char byte = aia_rng_below(rng, 2)
                                 ? k_interesting[aia_rng_below(rng, sizeof k_interesting)]
                                 : (unsigned char)aia_rng_below(rng, 256);
        switch (aia_rng_below(rng, 4)) {
        case 0: /* overwrite */
            if (at < n) out[at] = byte;
            break;
        case 1: /* insert */
            if (n + 1 < cap) {
                memmove(out + at + 1, out + at, n - at);
                out[at] = byte;
                n++;
            }
            break;
        case 2: /* delete */
            if (at < n) {
                memmove(out + at, out + at + 1, n - at - 1);
                n--;
            }
            break;
        default: /* truncate */
            n = at;
            break;
        }
    }
    return n;
}

/* A frame the reader returned must be internally consistent. */
static void check_frame(const aia_frame *f)
{
    size_t n = aia_frame_n_rows(f);
    assert_true(n > 0);
    for (size_t j = 0; j < aia_frame_n_cols(f); j++) {
        const aia_column *c = aia_frame_column(f, j);
        assert_true(c->name[0] != '\0');
        size_t missing = 0;
        for (size_t r = 0; r < n; r++) {
            int m = aia_frame_is_missing(f, j, r);
            missing += (size_t)m;
            switch (c->type) {
            case AIA_COLUMN_NUMERIC:
                assert_int_equal(isnan(c->numeric[r]) ? 1 : 0, m);
                assert_false(isinf(c->numeric[r]));
                break;
            case AIA_COLUMN_CATEGORICAL:
                if (m) assert_int_equal(c->codes[r], -1);
                else assert_true(c->codes[r] >= 0 && (size_t)c->codes[r] < c->dictionary_size);
                break;
            case AIA_COLUMN_BOOLEAN:
                assert_true(c->boolean[r] <= 1);
                break;
            default:
                fail_msg("column %zu has type %d", j, c->type);
            }
        }
        assert_int_equal(missing, c->n_missing);
    }
}

static void mutated_inputs_never_crash(void **state)
{
    (void)state;
    aia_rng rng;
    aia_rng_seed(&rng, 1126);
    unsigned char buf[512];
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.name = "<fuzz>";
    size_t n_ok = 0, n_err = 0;
    for (int i = 0; i < 40000; i++) {
        const char *seed = k_seeds[aia_rng_below(&rng, sizeof k_seeds / sizeof k_seeds[0])];
        size_t n = mutate(&rng, seed, buf, sizeof buf);
        /* Every third input also forces types, on columns that may be gone. */
        static const aia_csv_schema_entry schema[] = {
            {"score", AIA_COLUMN_NUMERIC}, {"flag", AIA_COLUMN_BOOLEAN}, {"label", AIA_COLUMN_CATEGORICAL}};
        opts.schema = i % 3 == 0 ? schema : NULL;
        opts.schema_len = i % 3 == 0 ? 3 : 0;
        aia_frame *f = NULL;
        aia_error err;
        aia_error_clear(&err);
        aia_status st = aia_csv_read_buffer((const char *)buf, n, &opts, &f, &err);
        if (st == AIA_OK) {
            assert_non_null(f);
            check_frame(f);
            aia_frame_free(f);
            n_ok++;
        } else {
            assert_null(f);
            assert_true(st == AIA_INVALID_ARGUMENT || (st == AIA_NOT_FOUND && opts.schema));
            assert_int_equal(err.code, st);
            if (strncmp(err.message, "<fuzz>:", 7) != 0)
                fail_msg("message does not name the input: %s", err.message);
            n_err++;
        }
    }
    /* Both outcomes are exercised, so the test can tell them apart. */
    assert_true(n_ok > 1000 && n_err > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mutated_inputs_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
