/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz/fuzz_config.c - genkit.yaml loading (libfyaml, JSON conversion, strict decode, error
 * location): any input returns a status, never crashes, hangs or leaks. */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    gk_config c;
    gk_error err = {0};
    if (gk__config_parse("fuzz.yaml", (const char *)data, size, &c, &err) == GK_OK) {
        gk_server_opts o = {0};
        gk__config_apply_server(&c, &o);
    }
    gk__config_release(&c);
    return 0;
}
