/* lib/store/store_ids.c — the naming rules for ids and aliases. */
#include <string.h>

#include "lib/store/store_internal.h"

static int is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

aia_status aia_store_check_id(const char *what, const char *id, aia_error *err) {
    if (id == NULL || id[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is empty", what);
    size_t n = strlen(id);
    if (n > AIA_STORE_ID_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s \"%.40s...\" is %zu characters long (at most %d)", what, id,
                             n, AIA_STORE_ID_MAX);
    if (!is_alnum(id[0]))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s \"%s\" must start with a letter or digit", what, id);
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-')
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s \"%s\" has character 0x%02x at position %zu; only letters, digits, '.', '_' "
                                 "and '-' are allowed",
                                 what, id, (unsigned char)c, i);
    }
    return AIA_OK;
}

/* Aliases start with a letter so "model@3" (a version) and "model@prod"
 * (an alias) never collide; "latest" is the resolver's, not an alias. */
aia_status store_check_alias(const char *alias, aia_error *err) {
    if (alias == NULL || alias[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "alias is empty");
    size_t n = strlen(alias);
    if (n > AIA_STORE_ID_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "alias \"%.40s...\" is %zu characters long (at most %d)",
                             alias, n, AIA_STORE_ID_MAX);
    if (!is_alpha(alias[0]))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "alias \"%s\" must start with a letter", alias);
    for (size_t i = 0; i < n; i++) {
        char c = alias[i];
        if (!is_alnum(c) && c != '_' && c != '-')
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "alias \"%s\" has character 0x%02x at position %zu; only letters, digits, '_' and "
                                 "'-' are allowed",
                                 alias, (unsigned char)c, i);
    }
    if (strcmp(alias, "latest") == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "alias \"latest\" is reserved: it always means the highest ready version");
    return AIA_OK;
}
