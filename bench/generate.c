/* SPDX-License-Identifier: Apache-2.0 */
/* bench/generate.c - CPU cost of one gk_generate call, the model excluded: a model that answers
 * a canned ~2 KB reply at once stands in for the provider, so the figure is the framework's share
 * (request building, action dispatch and checks, response parse, history) per call. Two shapes:
 * text with a ~2 KB conversation, and gk_generate_data decoding a ~2 KB JSON reply into a struct.
 * Usage: bench/generate [calls]   (built and run by bench/generate.sh on a release build) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <genkit/genkit.h>

#include "runtime/sched.h"

typedef struct BItem {
    const char *name;
    const char *note;
    int qty;
} BItem;

typedef struct BOut {
    const char *title;
    GK_ARRAY_OF(BItem) items;
} BOut;

/* clang-format off */
GK_SCHEMA_DEFINE(BItem, NULL,
    GK_FIELD_STRING(BItem, name, "name", NULL),
    GK_FIELD_STRING(BItem, note, "note", NULL),
    GK_FIELD_INT(BItem, qty, "qty", NULL));
GK_SCHEMA_DEFINE(BOut, NULL,
    GK_FIELD_STRING(BOut, title, "title", NULL),
    GK_FIELD_ARRAY(BOut, items, "items", BItem, NULL));
/* clang-format on */

static char text_reply[2100];
static char json_reply[2100];

static gk_status canned(void *self, gk_ctx *ctx, const gk_generate_request *req,
                        gk_model_stream *stream, gk_generate_response *resp, gk_error *err)
{
    (void)ctx;
    (void)stream;
    (void)err;
    static gk_part part;
    bool json = req->has_output && req->output.schema;
    part = gk_part_text(json ? json_reply : text_reply);
    (void)self;
    resp->has_message = true;
    resp->message.role = GK_ROLE_MODEL;
    resp->message.content.items = &part;
    resp->message.content.count = 1;
    resp->finish_reason = GK_FINISH_STOP;
    return GK_OK;
}

struct bench {
    gk_genkit *g;
    long calls;
    gk_runtime *rt;
    double ns_text;
    double ns_data;
    int failed;
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void body(gk_ctx *root, void *arg)
{
    struct bench *b = arg;
    gk_error err = {0};
    static char history_text[4][512];
    gk_part parts[4];
    gk_message history[4];
    for (int i = 0; i < 4; i++) {
        memset(history_text[i], 'a' + i, 480);
        history_text[i][480] = '\0';
        parts[i] = gk_part_text(history_text[i]);
        history[i] =
            (gk_message){.role = i % 2 ? GK_ROLE_MODEL : GK_ROLE_USER, .content = {&parts[i], 1}};
    }
    gk_generate_opts text = {.model = "bench/canned",
                             .system = "You are a helpful assistant.",
                             .messages = history,
                             .message_count = 4,
                             .prompt = "Summarize the conversation."};
    gk_generate_opts data = {.model = "bench/canned", .prompt = "Give me the list."};
    for (int shape = 0; shape < 2; shape++) {
        double t0 = now_ns();
        for (long i = 0; i < b->calls; i++) {
            /* A request arena per call, as a server request has. */
            gk_arena *a = gk_arena_new(0);
            gk_ctx *ctx = gk__ctx_new(gk_ctx_loop(root), a);
            gk_status st;
            if (shape == 0) {
                gk_generate_response resp;
                st = gk_generate(ctx, b->g, &text, &resp, &err);
            } else {
                BOut out;
                st = gk_generate_data(ctx, b->g, &data, GK_TYPE_OF(BOut), &out, &err);
            }
            gk_arena_free(a);
            if (st != GK_OK) {
                fprintf(stderr, "generate: %s\n", err.message);
                b->failed = 1;
                return;
            }
        }
        double per = (now_ns() - t0) / (double)b->calls;
        if (shape == 0)
            b->ns_text = per;
        else
            b->ns_data = per;
    }
}

static void done(void *arg)
{
    struct bench *b = arg;
    gk_runtime_stop(b->rt);
}

static void start(gk_loop *loop, void *arg)
{
    static gk_arena *root_arena;
    root_arena = gk_arena_new(0);
    gk_ctx *ctx = gk__ctx_new(loop, root_arena);
    if (gk__spawn(ctx, body, done, arg) != GK_OK)
        abort();
}

int main(int argc, char **argv)
{
    long calls = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
    /* ~2 KB replies: prose, and JSON with 20 items. */
    memset(text_reply, 'z', 2000);
    text_reply[2000] = '\0';
    gk_buf jb = GK_BUF_INIT(0);
    gk_buf_puts(&jb, "{\"title\":\"Shopping list\",\"items\":[");
    for (int i = 0; i < 20; i++)
        gk_buf_printf(&jb,
                      "%s{\"name\":\"item number %02d\",\"note\":\"buy it fresh at the "
                      "market, early\",\"qty\":%d}",
                      i ? "," : "", i, i + 1);
    gk_buf_puts(&jb, "]}");
    snprintf(json_reply, sizeof(json_reply), "%s", jb.ptr);
    gk_buf_release(&jb);

    gk_error err = {0};
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "bench"}, &err);
    gk_model_desc d = {.name = "bench/canned",
                       .generate = canned,
                       .info = {.supports = GK_MODEL_MULTITURN | GK_MODEL_SYSTEM_ROLE,
                                .constrained = GK_CONSTRAINED_ALL}};
    if (!g || !gk_define_model(g, &d, &err)) {
        fprintf(stderr, "bench: %s\n", err.message);
        return 1;
    }
    gk_runtime *rt = gk_runtime_new(&(gk_runtime_opts){.threads = 1}, &err);
    struct bench b = {.g = g, .calls = calls, .rt = rt};
    gk_runtime_run(rt, start, &b, &err);
    gk_runtime_free(rt);
    gk_shutdown(g);
    if (b.failed)
        return 1;
    printf("gk_generate text, 2 KB conversation + 2 KB reply: %.0f ns/call\n", b.ns_text);
    printf("gk_generate_data, 2 KB JSON reply into a struct:   %.0f ns/call\n", b.ns_data);
    return 0;
}
