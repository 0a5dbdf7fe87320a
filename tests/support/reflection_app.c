/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/reflection_app.c - the app of the reflection suites (reflection_app.h). */
#include "support/reflection_app.h"

#include <stdlib.h>

typedef struct RIn {
    const char *word;
    int32_t sleep_ms;
} RIn;

typedef struct ROut {
    const char *text;
} ROut;

typedef struct RChunk {
    int32_t n;
} RChunk;

GK_SCHEMA_DEFINE(RIn, NULL, GK_FIELD_STRING(RIn, word, "word", NULL, GK_MIN_LENGTH(1)),
                 GK_FIELD_INT(RIn, sleep_ms, "sleepMs", NULL, GK_DEFAULT(0)));
GK_SCHEMA_DEFINE(ROut, NULL, GK_FIELD_STRING(ROut, text, "text", NULL));
GK_SCHEMA_DEFINE(RChunk, NULL, GK_FIELD_INT(RChunk, n, "n", NULL));

static gk_status echo_flow(gk_ctx *ctx, const RIn *in, ROut *out, gk_error *err)
{
    if (in->sleep_ms > 0) {
        gk_status st = gk_sleep(ctx, in->sleep_ms);
        if (st != GK_OK)
            return gk_error_set(err, st, "", "sleep interrupted");
    }
    out->text = gk_arena_sprintf(gk_ctx_arena(ctx), "echo: %s", in->word);
    return GK_OK;
}

static gk_status count_flow(gk_ctx *ctx, const RIn *in, ROut *out, gk_stream *s, gk_error *err)
{
    for (int32_t i = 0; i < 3; i++) {
        RChunk c = {.n = i};
        gk_status st = gk_stream_send(s, &c, err);
        if (st != GK_OK)
            return st;
    }
    out->text = gk_arena_sprintf(gk_ctx_arena(ctx), "counted %s", in->word);
    return GK_OK;
}

static gk_status tool_fn(gk_ctx *ctx, const void *in, void *out, gk_stream *s, void *self,
                         gk_error *err)
{
    (void)ctx;
    (void)in;
    (void)s;
    (void)self;
    (void)err;
    ((ROut *)out)->text = "t";
    return GK_OK;
}

gk_genkit *gk_test_reflection_app(void)
{
    gk_error err = {0};
    gk_genkit *g =
        gk_init(&(gk_init_opts){.threads = 1, .name = "refl", .default_model = "local/echo"}, &err);
    if (!g)
        return NULL;
    GK_DEFINE_FLOW(g, "echo", "Echoes a word", echo_flow, RIn, ROut, &err);
    GK_DEFINE_STREAMING_FLOW(g, "count", NULL, count_flow, RIn, ROut, RChunk, &err);
    gk_action_desc tool = {.type = GK_ACTION_TOOL,
                           .name = "adder",
                           .description = "adds",
                           .in_type = GK_TYPE_OF(RIn),
                           .out_type = GK_TYPE_OF(ROut),
                           .fn = tool_fn,
                           .metadata_json = "{\"type\":\"tool\"}"};
    gk_define_action(g, &tool, &err);
    setenv("GENKIT_ENV", "dev", 1);
    return g;
}
