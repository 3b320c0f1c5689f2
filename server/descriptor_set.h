/* server/descriptor_set.h — the build's FileDescriptorSet (every served
 * .proto with its imports and comments), compiled into the binary by
 * //server:descriptor_set_blob. */
#ifndef AIA_SERVER_DESCRIPTOR_SET_H
#define AIA_SERVER_DESCRIPTOR_SET_H

#include <stddef.h>

extern const unsigned char aia_descriptor_set[];
extern const size_t aia_descriptor_set_len;

#endif
