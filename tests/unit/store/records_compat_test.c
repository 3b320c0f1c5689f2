/* tests/unit/store/records_compat_test.c — every lib/store record is a
 * field-for-field wire-compatible subset of its aia.v1 namesake.
 *
 * The service layer converts a record to its API message by packing it and
 * unpacking the bytes as the API type (records.proto's top comment), so
 * each store field must exist in the API message with the same number,
 * name, label and a compatible type: the same scalar type, an enum whose
 * numbers all exist in the API enum, or a message compatible in turn
 * (recursively, which covers map entries and Time vs Timestamp/Duration).
 * A self-check proves the checker reports mismatches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "aia/v1/common.pb-c.h"
#include "aia/v1/drift.pb-c.h"
#include "aia/v1/model.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "lib/store/records.pb-c.h"

#define MAX_DEPTH 8

typedef struct report {
    int problems;
    char first[512];
} report;

static void problem(report *r, const char *path, const char *fmt, const char *a, const char *b) {
    if (r->problems++ == 0) {
        char what[256];
        snprintf(what, sizeof what, fmt, a, b);
        snprintf(r->first, sizeof r->first, "%s: %s", path, what);
    }
    print_message("incompatible: %s: ", path);
    print_message(fmt, a, b);
    print_message("\n");
}

static void check_enum(const ProtobufCEnumDescriptor *store, const ProtobufCEnumDescriptor *api, const char *path,
                       report *r) {
    for (unsigned i = 0; i < store->n_values; i++) {
        const ProtobufCEnumValue *v = &store->values[i];
        if (protobuf_c_enum_descriptor_get_value(api, v->value) == NULL)
            problem(r, path, "enum value %s has no number in %s", v->name, api->name);
    }
}

static void check_message(const ProtobufCMessageDescriptor *store, const ProtobufCMessageDescriptor *api,
                          const char *path, int depth, report *r);

static void check_field(const ProtobufCFieldDescriptor *f, const ProtobufCMessageDescriptor *api, const char *path,
                        int depth, report *r) {
    char here[400];
    snprintf(here, sizeof here, "%s.%s", path, f->name);
    const ProtobufCFieldDescriptor *g = protobuf_c_message_descriptor_get_field(api, f->id);
    if (g == NULL) {
        problem(r, here, "field number missing in %s%s", api->name, "");
        return;
    }
    if (strcmp(f->name, g->name) != 0) problem(r, here, "API names this number %s%s", g->name, "");
    if (f->label != g->label) problem(r, here, "label differs from %s.%s", api->name, g->name);
    if (f->type != g->type) {
        problem(r, here, "type differs from %s.%s", api->name, g->name);
        return;
    }
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) != (g->flags & PROTOBUF_C_FIELD_FLAG_PACKED))
        problem(r, here, "packing differs from %s.%s", api->name, g->name);
    if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != (g->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        problem(r, here, "oneof membership differs from %s.%s", api->name, g->name);
    if (f->type == PROTOBUF_C_TYPE_ENUM) check_enum(f->descriptor, g->descriptor, here, r);
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) check_message(f->descriptor, g->descriptor, here, depth + 1, r);
}

static void check_message(const ProtobufCMessageDescriptor *store, const ProtobufCMessageDescriptor *api,
                          const char *path, int depth, report *r) {
    if (depth > MAX_DEPTH) return; /* records are not recursive; this only bounds a mistake */
    for (unsigned i = 0; i < store->n_fields; i++) check_field(&store->fields[i], api, path, depth, r);
}

static void assert_compatible(const ProtobufCMessageDescriptor *store, const ProtobufCMessageDescriptor *api) {
    report r = {0, ""};
    check_message(store, api, store->name, 0, &r);
    if (r.problems) fail_msg("%s vs %s: %d problem(s), first: %s", store->name, api->name, r.problems, r.first);
}

static void job_records(void **state) {
    (void)state;
    assert_compatible(&aia_store__v1__job__descriptor, &aia__v1__training_job__descriptor);
    assert_compatible(&aia_store__v1__job_spec__descriptor, &aia__v1__train_model_request__descriptor);
    assert_compatible(&aia_store__v1__hpo_spec__descriptor, &aia__v1__hpo_spec__descriptor);
    assert_compatible(&aia_store__v1__hpo_parameter__descriptor, &aia__v1__hpo_parameter__descriptor);
    assert_compatible(&aia_store__v1__trial__descriptor, &aia__v1__hpo_trial__descriptor);
    assert_compatible(&aia_store__v1__data_split__descriptor, &aia__v1__data_split_sizes__descriptor);
    assert_compatible(&aia_store__v1__hpo_progress__descriptor, &aia__v1__hpo_progress__descriptor);
}

static void registry_records(void **state) {
    (void)state;
    assert_compatible(&aia_store__v1__version__descriptor, &aia__v1__model_version__descriptor);
    assert_compatible(&aia_store__v1__lineage__descriptor, &aia__v1__model_lineage__descriptor);
    assert_compatible(&aia_store__v1__model__descriptor, &aia__v1__registered_model__descriptor);
    assert_compatible(&aia_store__v1__feature_spec__descriptor, &aia__v1__feature_spec__descriptor);
}

static void endpoint_records(void **state) {
    (void)state;
    assert_compatible(&aia_store__v1__deployment__descriptor, &aia__v1__deployment__descriptor);
    assert_compatible(&aia_store__v1__endpoint__descriptor, &aia__v1__endpoint__descriptor);
}

static void drift_records(void **state) {
    (void)state;
    assert_compatible(&aia_store__v1__drift_monitor__descriptor, &aia__v1__drift_monitor__descriptor);
    assert_compatible(&aia_store__v1__drift_report__descriptor, &aia__v1__drift_report__descriptor);
    assert_compatible(&aia_store__v1__feature_drift__descriptor, &aia__v1__feature_drift__descriptor);
    assert_compatible(&aia_store__v1__concept_drift__descriptor, &aia__v1__concept_drift__descriptor);
    assert_compatible(&aia_store__v1__drift_alert__descriptor, &aia__v1__drift_alert__descriptor);
    assert_compatible(&aia_store__v1__drift_feature_override__descriptor,
                      &aia__v1__drift_feature_override__descriptor);
    assert_compatible(&aia_store__v1__drift_actions__descriptor, &aia__v1__drift_actions__descriptor);
    assert_compatible(&aia_store__v1__ground_truth__descriptor, &aia__v1__ground_truth__descriptor);
    assert_compatible(&aia_store__v1__double_value__descriptor, &google__protobuf__double_value__descriptor);
}

static void time_is_timestamp_and_duration(void **state) {
    (void)state;
    assert_compatible(&aia_store__v1__time__descriptor, &google__protobuf__timestamp__descriptor);
    assert_compatible(&aia_store__v1__time__descriptor, &google__protobuf__duration__descriptor);
}

/* The checker is not vacuous: unrelated messages are reported. */
static void checker_reports_mismatches(void **state) {
    (void)state;
    report r = {0, ""};
    check_message(&aia_store__v1__job__descriptor, &aia__v1__model_version__descriptor, "Job", 0, &r);
    assert_true(r.problems > 0);
    r = (report){0, ""};
    check_message(&aia_store__v1__endpoint__descriptor, &aia__v1__deployment__descriptor, "Endpoint", 0, &r);
    assert_true(r.problems > 0);
    r = (report){0, ""};
    check_enum(&aia_store__v1__job_state__descriptor, &aia__v1__task_type__descriptor, "JobState", &r);
    assert_true(r.problems > 0); /* JOB_RUNNING = 2 exists, JOB_SUCCEEDED = 3 does not */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(job_records),
        cmocka_unit_test(registry_records),
        cmocka_unit_test(endpoint_records),
        cmocka_unit_test(drift_records),
        cmocka_unit_test(time_is_timestamp_and_duration),
        cmocka_unit_test(checker_reports_mismatches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
