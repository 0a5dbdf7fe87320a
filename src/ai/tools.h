/* SPDX-License-Identifier: Apache-2.0 */
/* src/ai/tools.h - running one tool call for the generate loop, and tool definitions for model
 * requests (ai-private). */
#ifndef GK_AI_TOOLS_H
#define GK_AI_TOOLS_H

#include <genkit/ai.h>

/* One tool call of a generate turn. The generate loop fills the inputs; gk__tool_run the rest.
 * Invariants: interrupted implies status GK_OK and output NULL; status != GK_OK implies err set. */
struct gk__tool_call {
    gk_action *action;      /* NULL: the model asked for a tool that is not offered */
    const char *name;       /* as the model asked */
    const gk_json *input;   /* NULL: no input */
    const gk_json *resumed; /* a restart's "resumed" metadata (true or an object), or NULL */
    gk_status status;
    gk_error err;
    const gk_json *output; /* on success */
    bool interrupted;
    const gk_json *interrupt_meta; /* true or the tool's object */
    /* While the tool runs: the context it was given (gk_tool_interrupt finds the call by it). */
    gk_ctx *ctx;
    struct gk__tool_call *next_active;
};

/*
 * Run call->action with call->input on ctx (traced as an action), filling status/err, output or
 * interrupted. Context: a fiber. Returns: call->status.
 */
gk_status gk__tool_run(gk_ctx *ctx, struct gk__tool_call *call);

/*
 * The ToolDefinition of tool (name, description, input and output JSON Schemas without "$schema").
 * Ownership: strings and schemas live in g's arena for tools defined by GK_DEFINE_TOOL, else in a.
 * Returns: GK_OK; GK_RESOURCE_EXHAUSTED.
 */
gk_status gk__tool_definition(gk_arena *a, gk_action *tool, gk_tool_definition *out, gk_error *err);

#endif
