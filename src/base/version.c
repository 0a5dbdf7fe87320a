/* SPDX-License-Identifier: Apache-2.0 */
/* src/base/version.c - the version of the library the program runs with. */
#include <genkit/common.h>

#include "base/banned.h"

const char *gk_version(void)
{
    return GK_VERSION;
}
