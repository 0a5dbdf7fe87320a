/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/reflection_app.h - the app both reflection suites (v1 over HTTP, v2 over a
 * WebSocket) run against, so that they see the same actions: flows "echo" ({word, sleepMs} ->
 * {text: "echo: <word>"}, sleeping sleepMs first) and "count" (streams {n: 0..2}, then
 * {text: "counted <word>"}), and the tool "adder" (metadata {"type":"tool"}). */
#ifndef GK_TESTS_SUPPORT_REFLECTION_APP_H
#define GK_TESTS_SUPPORT_REFLECTION_APP_H

#include <genkit/genkit.h>

/* A one-thread instance named "refl" (default model local/echo) with the actions above, and
 * GENKIT_ENV=dev set. Returns NULL if gk_init failed. */
gk_genkit *gk_test_reflection_app(void);

#endif
