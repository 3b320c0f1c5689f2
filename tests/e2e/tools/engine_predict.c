/* tests/e2e/tools/engine_predict.c — the engine's own predictions for a
 * stored model, for the end-to-end tests to compare with Predict's.
 *
 *   engine_predict MODEL_FILE DATA_CSV
 *
 * Loads MODEL_FILE (lib/ml/model_file.h; a registry artifact is one) and
 * predicts every row of DATA_CSV (lib/data/csv.h; it needs the model's
 * feature columns by name, other columns are ignored). Prints, on stdout,
 * a first line with the outputs' names (class labels in probability order,
 * or "value" for regression), then one line per row with the outputs as
 * "%.17g", all separated by tabs, so a reader gets the exact doubles back.
 * Exits 1 with the error on stderr when anything fails, 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/data/csv.h"
#include "lib/ml/model.h"
#include "lib/ml/model_file.h"

static void print_header(const aia_model *m, int k)
{
    for (int c = 0; c < k; c++) {
        const char *label = aia_model_class_label(m, c);
        printf("%s%s", c ? "\t" : "", label ? label : "value");
    }
    printf("\n");
}

static int run(const char *model_path, const char *csv_path)
{
    aia_error err;
    aia_model *m = NULL;
    aia_frame *f = NULL;
    double *out = NULL;
    int rc = 1;
    if (aia_model_load(model_path, &m, &err) != AIA_OK || aia_csv_read_file(csv_path, NULL, &f, &err) != AIA_OK) {
        fprintf(stderr, "engine_predict: %s\n", err.message);
        goto done;
    }
    int k = aia_model_n_outputs(m);
    size_t rows = aia_frame_n_rows(f);
    out = calloc(rows * (size_t)k, sizeof *out);
    if (!out) {
        fprintf(stderr, "engine_predict: out of memory for %zu rows\n", rows);
        goto done;
    }
    if (aia_model_predict_frame(m, f, out, &err) != AIA_OK) {
        fprintf(stderr, "engine_predict: %s\n", err.message);
        goto done;
    }
    print_header(m, k);
    for (size_t i = 0; i < rows; i++) {
        for (int c = 0; c < k; c++) printf("%s%.17g", c ? "\t" : "", out[i * (size_t)k + (size_t)c]);
        printf("\n");
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
done:
    free(out);
    aia_frame_free(f);
    aia_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: engine_predict MODEL_FILE DATA_CSV\n");
        return 2;
    }
    return run(argv[1], argv[2]);
}
