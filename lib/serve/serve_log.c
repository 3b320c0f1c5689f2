/* lib/serve/serve_log.c — the sampled prediction log.
 *
 * The request thread decides sampling and copies each sampled row (one
 * allocation: cells, outputs, ids) with a reference to the version that
 * served it, then hands it to a bounded queue without waiting: when the
 * queue is full the row is dropped and counted, so a slow disk never slows
 * predictions. Formatting the JSON (a %.17g per value, some 25 µs for 30
 * features) happens on the writer thread, off the request path. That one
 * writer thread appends lines to
 * <data_dir>/predictions/<model_id>/predictions-<seq>.jsonl, starts a new
 * file (seq + 1) when the next line would pass log_max_file_bytes, and
 * then removes the oldest files beyond log_max_files. A process starts a
 * fresh file rather than appending to one a crash may have cut mid-line.
 *
 * Sampling is deterministic: row k of the serve (counted across calls) is
 * kept when floor((k+1)·rate) > floor(k·rate), so exactly `rate` of the
 * rows are logged, evenly spread, with no random numbers on the hot path. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/base/strbuf.h"
#include "lib/base/timeutil.h"
#include "lib/serve/serve_internal.h"

#define LOG_BATCH 64
#define LOG_OPEN_FILES_MAX 32

/* A row as the request thread copied it; the strings and arrays live in
 * the same allocation, after the struct. */
typedef struct serve_logged_row {
    int64_t time_ns;
    const char *deployment_id; /* NULL for direct calls */
    char prediction_id[AIA_PREDICTION_ID_LEN + 1];
    aia_preprocess_cell *cells;
    double *outputs;
} serve_logged_row;

/* ---- formatting (writer thread) ------------------------------------------------------ */

static void put_number(aia_strbuf *sb, double v)
{
    if (isfinite(v)) aia_strbuf_printf(sb, "%.17g", v);
    else aia_strbuf_puts(sb, "null");
}

static void put_inputs(aia_strbuf *sb, const aia_served *h, const aia_preprocess_cell *cells)
{
    aia_strbuf_puts(sb, ",\"inputs\":{");
    for (size_t i = 0; i < h->n_inputs; i++) {
        if (i) aia_strbuf_putc(sb, ',');
        aia_strbuf_json_string(sb, h->input_names[i], strlen(h->input_names[i]));
        aia_strbuf_putc(sb, ':');
        int kind = h->input_kind[i];
        if (kind != AIA_PREPROCESS_NUMERIC && kind != AIA_PREPROCESS_BOOLEAN) { /* categorical: text or missing */
            if (cells[i].text) aia_strbuf_json_string(sb, cells[i].text, strlen(cells[i].text));
            else aia_strbuf_puts(sb, "null");
        } else if (isnan(cells[i].number)) {
            aia_strbuf_puts(sb, "null");
        } else if (kind == AIA_PREPROCESS_BOOLEAN) {
            aia_strbuf_puts(sb, cells[i].number != 0 ? "true" : "false");
        } else {
            put_number(sb, cells[i].number);
        }
    }
    aia_strbuf_putc(sb, '}');
}

static void put_outputs(aia_strbuf *sb, const aia_served *h, const double *outputs)
{
    int k = aia_model_n_outputs(h->model);
    if (aia_model_task(h->model) != AIA_TASK_CLASSIFICATION) {
        aia_strbuf_puts(sb, ",\"value\":");
        put_number(sb, outputs[0]);
        return;
    }
    int best = 0;
    for (int c = 1; c < k; c++)
        if (outputs[c] > outputs[best]) best = c;
    const char *label = aia_model_class_label(h->model, best);
    aia_strbuf_puts(sb, ",\"label\":");
    aia_strbuf_json_string(sb, label ? label : "", label ? strlen(label) : 0);
    aia_strbuf_puts(sb, ",\"probabilities\":{");
    for (int c = 0; c < k; c++) {
        const char *name = aia_model_class_label(h->model, c);
        if (c) aia_strbuf_putc(sb, ',');
        aia_strbuf_json_string(sb, name ? name : "", name ? strlen(name) : 0);
        aia_strbuf_putc(sb, ':');
        put_number(sb, outputs[c]);
    }
    aia_strbuf_putc(sb, '}');
}

static char *format_line(const aia_served *h, const char *deployment_id, const aia_served_row *row, int64_t now,
                         size_t *len)
{
    char when[40];
    aia_time_format_rfc3339(now, when, sizeof when);
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    aia_strbuf_puts(&sb, "{\"prediction_id\":");
    aia_strbuf_json_string(&sb, row->prediction_id ? row->prediction_id : "",
                           row->prediction_id ? strlen(row->prediction_id) : 0);
    aia_strbuf_printf(&sb, ",\"time\":\"%s\",\"model_id\":", when);
    aia_strbuf_json_string(&sb, h->model_id, strlen(h->model_id));
    aia_strbuf_printf(&sb, ",\"version\":%d,\"deployment_id\":", h->version);
    if (deployment_id) aia_strbuf_json_string(&sb, deployment_id, strlen(deployment_id));
    else aia_strbuf_puts(&sb, "null");
    put_inputs(&sb, h, row->cells);
    put_outputs(&sb, h, row->outputs);
    aia_strbuf_puts(&sb, "}\n");
    if (sb.oom) {
        aia_strbuf_free(&sb);
        return NULL;
    }
    return aia_strbuf_release(&sb, len);
}

static int sampled(aia_serve *s)
{
    if (s->sample_rate >= 1) return 1;
    uint64_t k = atomic_fetch_add_explicit(&s->log.sampled, 1, memory_order_relaxed);
    return (uint64_t)((double)(k + 1) * s->sample_rate) > (uint64_t)((double)k * s->sample_rate);
}

static void entry_free(serve_log_entry *e)
{
    free(e->row);
    aia_served_release(e->h);
}

static void enqueue(aia_serve *s, serve_log_entry e)
{
    int queued = 0;
    pthread_mutex_lock(&s->log.mu);
    if (s->log.count < SERVE_LOG_QUEUE && !s->log.stop) {
        s->log.queue[(s->log.head + s->log.count) % SERVE_LOG_QUEUE] = e;
        s->log.count++;
        queued = 1;
        pthread_cond_signal(&s->log.wake);
    }
    pthread_mutex_unlock(&s->log.mu);
    if (!queued) {
        atomic_fetch_add(&s->log.dropped, 1);
        entry_free(&e);
    }
}

/* One allocation holding the row: cells (texts copied), outputs, ids. */
static serve_logged_row *copy_row(const aia_served *h, const char *deployment_id, const aia_served_row *row,
                                  int64_t now)
{
    size_t n_out = (size_t)aia_model_n_outputs(h->model), text = deployment_id ? strlen(deployment_id) + 1 : 0;
    for (size_t i = 0; i < h->n_inputs; i++) text += row->cells[i].text ? strlen(row->cells[i].text) + 1 : 0;
    size_t head = sizeof(serve_logged_row), cells = h->n_inputs * sizeof(aia_preprocess_cell),
           outs = n_out * sizeof(double);
    serve_logged_row *r = malloc(head + cells + outs + text);
    if (!r) return NULL;
    r->time_ns = now;
    r->cells = (aia_preprocess_cell *)((char *)r + head);
    r->outputs = (double *)((char *)r->cells + cells);
    char *strings = (char *)r->outputs + outs;
    snprintf(r->prediction_id, sizeof r->prediction_id, "%s", row->prediction_id ? row->prediction_id : "");
    memcpy(r->outputs, row->outputs, outs);
    for (size_t i = 0; i < h->n_inputs; i++) {
        r->cells[i] = row->cells[i];
        if (!row->cells[i].text) continue;
        size_t n = strlen(row->cells[i].text) + 1;
        r->cells[i].text = memcpy(strings, row->cells[i].text, n);
        strings += n;
    }
    r->deployment_id = deployment_id ? memcpy(strings, deployment_id, strlen(deployment_id) + 1) : NULL;
    return r;
}

void aia_serve_log(aia_serve *s, const aia_served *h, const char *deployment_id, const aia_served_row *rows,
                   size_t n)
{
    if (s->sample_rate <= 0 || !h || !rows) return;
    int64_t now = aia_time_now_ns();
    for (size_t i = 0; i < n; i++) {
        if (!sampled(s)) continue;
        serve_log_entry e = {(aia_served *)h, copy_row(h, deployment_id, &rows[i], now)};
        if (!e.row) {
            atomic_fetch_add(&s->log.dropped, 1);
            continue;
        }
        atomic_fetch_add(&e.h->refs, 1); /* the entry's reference; the writer releases it */
        enqueue(s, e);
    }
}

void aia_serve_log_counts(aia_serve *s, int64_t *written, int64_t *dropped)
{
    if (written) *written = atomic_load(&s->log.written);
    if (dropped) *dropped = atomic_load(&s->log.dropped);
}

void aia_serve_log_flush(aia_serve *s)
{
    pthread_mutex_lock(&s->log.mu);
    while (s->log.count > 0 || s->log.busy) pthread_cond_wait(&s->log.idle, &s->log.mu);
    pthread_mutex_unlock(&s->log.mu);
}

/* ---- files (writer thread) ---------------------------------------------------------- */

static void model_dir(const aia_serve *s, const char *model_id, char *out, size_t size)
{
    snprintf(out, size, "%s/predictions/%s", s->data_dir, model_id);
}

static int parse_seq(const char *name, uint64_t *seq)
{
    unsigned long long v;
    int used = 0;
    if (sscanf(name, "predictions-%20llu.jsonl%n", &v, &used) != 1 || used == 0 || name[used] != '\0') return 0;
    *seq = v;
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The log files' sequence numbers, ascending (malloc'd). */
static uint64_t *list_seqs(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    size_t cap = 16;
    uint64_t *seqs = malloc(cap * sizeof *seqs);
    for (struct dirent *de; seqs && (de = readdir(d)) != NULL;) {
        uint64_t seq;
        if (!parse_seq(de->d_name, &seq)) continue;
        if (*n == cap) {
            uint64_t *bigger = realloc(seqs, 2 * cap * sizeof *seqs);
            if (!bigger) break;
            seqs = bigger;
            cap *= 2;
        }
        seqs[(*n)++] = seq;
    }
    closedir(d);
    if (seqs) qsort(seqs, *n, sizeof *seqs, cmp_u64);
    return seqs;
}

static void prune(aia_serve *s, const char *model_id)
{
    char dir[4096], path[4200];
    size_t n;
    model_dir(s, model_id, dir, sizeof dir);
    uint64_t *seqs = list_seqs(dir, &n);
    for (size_t i = 0; seqs && n - i > (size_t)s->max_files; i++) {
        snprintf(path, sizeof path, "%s/predictions-%020llu.jsonl", dir, (unsigned long long)seqs[i]);
        unlink(path);
    }
    free(seqs);
}

static int open_seq(aia_serve *s, serve_log_file *f)
{
    char path[4200];
    model_dir(s, f->model_id, path, sizeof path);
    size_t len = strlen(path);
    snprintf(path + len, sizeof path - len, "/predictions-%020llu.jsonl", (unsigned long long)f->seq);
    f->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    f->size = 0;
    if (f->fd < 0) return -1;
    prune(s, f->model_id);
    return 0;
}

static void files_close_all(serve_log *log)
{
    for (serve_log_file *f = log->files, *next; f; f = next) {
        next = f->next;
        if (f->fd >= 0) close(f->fd);
        free(f->model_id);
        free(f);
    }
    log->files = NULL;
}

static serve_log_file *file_for(aia_serve *s, const char *model_id)
{
    size_t open_files = 0;
    for (serve_log_file *f = s->log.files; f; f = f->next, open_files++)
        if (strcmp(f->model_id, model_id) == 0) return f;
    if (open_files >= LOG_OPEN_FILES_MAX) files_close_all(&s->log); /* bounded descriptors */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/predictions", s->data_dir);
    mkdir(dir, 0755);
    model_dir(s, model_id, dir, sizeof dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) return NULL;
    serve_log_file *f = calloc(1, sizeof *f);
    if (!f || !(f->model_id = serve_strdup(model_id))) {
        free(f);
        return NULL;
    }
    size_t n;
    uint64_t *seqs = list_seqs(dir, &n);
    f->seq = n ? seqs[n - 1] + 1 : 1;
    free(seqs);
    if (open_seq(s, f) != 0) {
        free(f->model_id);
        free(f);
        return NULL;
    }
    f->next = s->log.files;
    s->log.files = f;
    return f;
}

/* Writes all of p; returns the bytes that reached the file (len on success). */
static size_t write_all(int fd, const char *p, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    return done;
}

/* Moves a model's log to its next file. */
static void rotate(aia_serve *s, serve_log_file *f)
{
    if (f->fd >= 0) close(f->fd);
    f->seq++;
    open_seq(s, f);
}

static void write_entry(aia_serve *s, serve_log_entry *e)
{
    const serve_logged_row *r = e->row;
    aia_served_row row = {.prediction_id = r->prediction_id, .cells = r->cells, .outputs = r->outputs};
    size_t len = 0;
    char *line = format_line(e->h, r->deployment_id, &row, r->time_ns, &len);
    serve_log_file *f = line ? file_for(s, e->h->model_id) : NULL;
    /* A file that could not be opened (descriptors, permissions) is retried
     * at the next row rather than abandoned for the life of the process. */
    if (f && f->fd < 0) open_seq(s, f);
    if (f && f->fd >= 0 && f->size > 0 && f->size + (int64_t)len > s->max_file_bytes) rotate(s, f);
    size_t wrote = f && f->fd >= 0 ? write_all(f->fd, line, len) : 0;
    if (wrote == len && f) {
        f->size += (int64_t)len;
        atomic_fetch_add(&s->log.written, 1);
    } else {
        atomic_fetch_add(&s->log.dropped, 1); /* out of memory, disk full, permissions: counted, not retried */
        /* Part of a line ends that file, so the next starts clean. Nothing
         * written (a full disk) rotates nothing: rotating would create empty
         * files and prune the history the log is there to keep. */
        if (f && wrote > 0) rotate(s, f);
    }
    free(line);
    entry_free(e);
}

static void *writer_main(void *arg)
{
    aia_serve *s = arg;
    serve_log_entry batch[LOG_BATCH];
    pthread_mutex_lock(&s->log.mu);
    for (;;) {
        while (s->log.count == 0 && !s->log.stop) {
            pthread_cond_broadcast(&s->log.idle);
            pthread_cond_wait(&s->log.wake, &s->log.mu);
        }
        if (s->log.count == 0 && s->log.stop) break;
        size_t n = 0;
        while (n < LOG_BATCH && s->log.count > 0) {
            batch[n++] = s->log.queue[s->log.head];
            s->log.head = (s->log.head + 1) % SERVE_LOG_QUEUE;
            s->log.count--;
        }
        s->log.busy = 1;
        pthread_mutex_unlock(&s->log.mu);
        for (size_t i = 0; i < n; i++) write_entry(s, &batch[i]);
        pthread_mutex_lock(&s->log.mu);
        s->log.busy = 0;
    }
    pthread_cond_broadcast(&s->log.idle);
    pthread_mutex_unlock(&s->log.mu);
    files_close_all(&s->log);
    return NULL;
}

int serve_log_start(aia_serve *s)
{
    pthread_mutex_init(&s->log.mu, NULL);
    pthread_cond_init(&s->log.wake, NULL);
    pthread_cond_init(&s->log.idle, NULL);
    if (pthread_create(&s->log.thread, NULL, writer_main, s) != 0) return -1;
    s->log.started = 1;
    return 0;
}

void serve_log_stop(aia_serve *s)
{
    if (s->log.started) {
        pthread_mutex_lock(&s->log.mu);
        s->log.stop = 1;
        pthread_cond_signal(&s->log.wake);
        pthread_mutex_unlock(&s->log.mu);
        pthread_join(s->log.thread, NULL);
        s->log.started = 0;
    }
    pthread_cond_destroy(&s->log.wake);
    pthread_cond_destroy(&s->log.idle);
    pthread_mutex_destroy(&s->log.mu);
}
