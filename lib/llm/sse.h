/* lib/llm/sse.h — an incremental Server-Sent Events (text/event-stream) parser.
 *
 * Remote LLM providers stream their answers as SSE, and the network hands
 * us bytes cut anywhere: inside a line, between the CR and LF of a CRLF,
 * inside a UTF-8 sequence. The parser therefore works on bytes, keeps the
 * unfinished line between calls, and follows the WHATWG HTML "event stream
 * interpretation" rules:
 *
 *   - lines end with CRLF, LF or CR (a CRLF split across two feeds is one
 *     line end);
 *   - a UTF-8 byte order mark at the very start of the stream is skipped;
 *   - a line starting with ':' is a comment and ignored;
 *   - "name:value" sets field name; one space right after the colon is
 *     dropped; a line without a colon is a field with an empty value;
 *   - "data" appends value + LF to the data buffer; "event" sets the type;
 *     "id" sets the last event id (kept across events; ignored when the
 *     value holds a NUL); "retry" sets the reconnection time when the value
 *     is all ASCII digits; other fields are ignored;
 *   - a blank line dispatches the event: type "message" when none was set,
 *     data with its final LF removed; when the data buffer is empty nothing
 *     is dispatched and the type is reset;
 *   - at the end of the stream an event not ended by a blank line is NOT
 *     dispatched: aia_sse_truncated() tells the caller the stream stopped
 *     mid-event (providers report that as a truncated upstream).
 *
 * Bytes are passed through as they are (no UTF-8 decoding or replacement):
 * the JSON parser that reads the data validates them.
 *
 * Memory is bounded: an event (its pending line plus its data, type and id)
 * larger than max_event_bytes fails with AIA_RESOURCE_EXHAUSTED.
 *
 * Ownership: the parser owns its buffers, freed by aia_sse_free(). The
 * event passed to the callback points into those buffers and is valid only
 * during the callback. Thread-safety: none; one parser per stream, used by
 * one thread at a time. Parsers share no state.
 */
#ifndef AIA_LLM_SSE_H
#define AIA_LLM_SSE_H

#include <stddef.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"

typedef struct aia_sse_event {
    const char *type; /* "message" unless an "event" field set it; NUL-terminated */
    size_t type_len;
    const char *data; /* data lines joined by '\n'; NUL-terminated (may hold NULs) */
    size_t data_len;
    const char *id;   /* the last event id seen so far ("" if none); NUL-terminated */
    size_t id_len;
    int has_retry;    /* a valid "retry" field came with this event */
    long long retry_ms;
} aia_sse_event;

/* Called once per dispatched event. Returning anything but AIA_OK (with err
 * filled) stops the parser: aia_sse_feed returns that status, and so does
 * every later feed. */
typedef aia_status (*aia_sse_event_fn)(void *user, const aia_sse_event *ev, aia_error *err);

typedef struct aia_sse_parser {
    aia_sse_event_fn on_event;
    void *user;
    size_t max_event_bytes;
    aia_strbuf line;  /* the unfinished line */
    aia_strbuf data;  /* data buffer of the event being built */
    aia_strbuf type;  /* event type buffer */
    aia_strbuf id;    /* last event id buffer (persists across events) */
    int has_retry;
    long long retry_ms;
    int fields_pending; /* a field line arrived since the last blank line */
    int after_cr;       /* the previous byte ended a line with CR: skip one LF */
    int bom_pos;        /* BOM bytes matched at stream start; 3 or -1 = decided */
    aia_status failed;  /* sticky error status (AIA_OK while healthy) */
    aia_error failure;
    unsigned long long line_no; /* 1-based line number, for error messages */
} aia_sse_parser;

/* Default bound on one event, used when max_event_bytes is 0. */
#define AIA_SSE_DEFAULT_MAX_EVENT (1u << 20)

/* Prepares p. on_event must be non-NULL. Allocates nothing yet. */
void aia_sse_init(aia_sse_parser *p, size_t max_event_bytes, aia_sse_event_fn on_event, void *user);

/* Consumes n bytes, dispatching every event they complete. Errors:
 * AIA_RESOURCE_EXHAUSTED (event over the bound, or out of memory; the
 * message names the line), or the callback's status. Once failed, the
 * parser stays failed and returns the same error. */
aia_status aia_sse_feed(aia_sse_parser *p, const char *bytes, size_t n, aia_error *err);

/* Non-zero when the bytes fed so far end in the middle of an event: a
 * partial line, or field lines not yet ended by a blank line. A stream that
 * closes in this state lost its last event. */
int aia_sse_truncated(const aia_sse_parser *p);

/* Frees the buffers; p may be initialised again. */
void aia_sse_free(aia_sse_parser *p);

#endif
