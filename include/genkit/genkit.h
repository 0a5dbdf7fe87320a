/* SPDX-License-Identifier: Apache-2.0 */
/* genkit/genkit.h - the umbrella header: everything a genkit-c service needs.
 * Threads: see each header; in short, define before serving, then each request runs in its own
 * fiber on one carrier loop. */
#ifndef GENKIT_GENKIT_H
#define GENKIT_GENKIT_H

#include <genkit/common.h>
#include <genkit/error.h>
#include <genkit/arena.h>
#include <genkit/buf.h>
#include <genkit/json.h>
#include <genkit/schema.h>
#include <genkit/runtime.h>
#include <genkit/flow.h>
#include <genkit/ai.h>
#include <genkit/plugin.h>
#include <genkit/middleware.h>
#include <genkit/embed.h>
#include <genkit/http.h>
#include <genkit/server.h>

#endif
