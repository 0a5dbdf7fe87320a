/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/generate.h - the generate loop's entry for the /util/generate action, and the action's
 * definition, which gk_init calls for every instance (ai-private). */
#ifndef GK_AI_GENERATE_H
#define GK_AI_GENERATE_H

#include <genkit/ai.h>

/* gk__generate flags: the caller runs in the /util/generate action's span, which then stands for
 * the first turn's span (as in Genkit JS); later turns still get spans of their own. */
#define GK__GENERATE_IN_ACTION_SPAN 1u

/*
 * gk_generate with flags (GK__GENERATE_IN_ACTION_SPAN or 0); streams to opts->on_chunk.
 * Ownership, context and returns: as gk_generate.
 */
gk_status gk__generate(gk_ctx *ctx, gk_genkit *g, const gk_generate_opts *opts, unsigned flags,
                       gk_generate_response *resp, gk_error *err);

/*
 * Define /util/generate in g: input gk_generate_action_options, output gk_generate_response
 * (with request), chunks gk_generate_response_chunk.
 * Context: gk_init, before plugins. Returns: GK_OK; the status of gk_define_action with err.
 */
gk_status gk__generate_action_define(gk_genkit *g, gk_error *err);

#endif
