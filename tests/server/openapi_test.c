/* SPDX-License-Identifier: Apache-2.0 */
/* tests/server/openapi_test.c - the OpenAPI document: the exact JSON for one small typed flow
 * (envelopes, schemas in components, error responses, SSE description, bearer security, path
 * prefix), component names for flow names with odd characters, and percent-encoded paths. */
#include <string.h>

#include <genkit/genkit.h>

#include "base/log.h"
#include "server/server_internal.h"
#include "test.h"

typedef struct AddIn {
    int32_t a;
    int32_t b;
} AddIn;

typedef struct AddOut {
    int32_t sum;
} AddOut;

GK_SCHEMA_DEFINE(AddIn, "two numbers", GK_FIELD_INT(AddIn, a, "a", NULL),
                 GK_FIELD_INT(AddIn, b, "b", NULL));
GK_SCHEMA_DEFINE(AddOut, "their sum", GK_FIELD_INT(AddOut, sum, "sum", NULL));

static gk_status add_flow(gk_ctx *ctx, const AddIn *in, AddOut *out, gk_error *err)
{
    (void)ctx;
    (void)err;
    out->sum = in->a + in->b;
    return GK_OK;
}

static gk_genkit *calc_new(gk_action **add)
{
    gk_error err = {0};
    gk__log_configure(GK_LOG_WARN, -1, -1);
    gk_genkit *g = gk_init(&(gk_init_opts){.threads = 1, .name = "t"}, &err);
    if (g)
        *add = GK_DEFINE_FLOW(g, "add", "Adds two numbers", add_flow, AddIn, AddOut, &err);
    return g;
}

static const char expected_add[] =
    "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"calc\",\"version\":\"1.2.3\",\"description\":\"Flows served with the Genkit flow protocol: POST {"
    "\\\"data\\\": <input>}, answer {\\\"result\\\": <output>}\"},\"paths\":{\"/api/add\":{"
    "\"post\":{\"operationId\":\"add\",\"summary\":\"Run the add flow\",\"description\":\"Adds two numbers\","
    "\"tags\":[\"flows\"],\"parameters\":[{\"name\":\"stream\",\"in\":\"query\",\"required\":false,"
    "\"description\":\"true: answer with a text/event-stream (as does Accept: text/event-stream)\","
    "\"schema\":{\"type\":\"boolean\",\"default\":false}}],\"requestBody\":{\"description\":\"The flow's input as data (an empty body or no data means null)\","
    "\"required\":false,\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\","
    "\"properties\":{\"data\":{\"$ref\":\"#/components/schemas/addInput\"}}}}}},\"responses\":{"
    "\"200\":{\"description\":\"The flow's result. With stream=true (or Accept: text/event-stream) the answer is an event stream instead: events separated by a blank line,"
    " each one line `data: <JSON>`: zero or more `{\\\"message\\\": <chunk>}` (this flow sends none),"
    " then exactly one `{\\\"result\\\": <output>}` (#/components/schemas/addOutput) or `{"
    "\\\"error\\\": {\\\"status\\\", \\\"message\\\", \\\"details\\\"}}` (#/components/schemas/Error),"
    " and the stream ends.\",\"content\":{\"application/json\":{\"schema\":{\"type\":\"object\","
    "\"properties\":{\"result\":{\"$ref\":\"#/components/schemas/addOutput\"}},\"required\":["
    "\"result\"]}},\"text/event-stream\":{\"schema\":{\"type\":\"string\"},\"example\":\"data: {"
    "\\\"result\\\":{}}\\n\\n\"}}},\"400\":{\"$ref\":\"#/components/responses/BadRequest\"},"
    "\"401\":{\"$ref\":\"#/components/responses/Unauthorized\"},\"403\":{\"$ref\":\"#/components/responses/Forbidden\"},"
    "\"404\":{\"$ref\":\"#/components/responses/NotFound\"},\"413\":{\"$ref\":\"#/components/responses/PayloadTooLarge\"},"
    "\"415\":{\"$ref\":\"#/components/responses/UnsupportedMediaType\"},\"500\":{\"$ref\":\"#/components/responses/InternalError\"},"
    "\"503\":{\"$ref\":\"#/components/responses/Unavailable\"},\"504\":{\"$ref\":\"#/components/responses/Timeout\"},"
    "\"default\":{\"$ref\":\"#/components/responses/Error\"}},\"security\":[{\"bearerAuth\":["
    "]}]}}},\"components\":{\"schemas\":{\"Error\":{\"type\":\"object\",\"description\":\"A failed flow request (Genkit's status names)\","
    "\"properties\":{\"error\":{\"type\":\"object\",\"properties\":{\"status\":{\"type\":\"string\","
    "\"enum\":[\"CANCELLED\",\"UNKNOWN\",\"INVALID_ARGUMENT\",\"DEADLINE_EXCEEDED\",\"NOT_FOUND\","
    "\"ALREADY_EXISTS\",\"PERMISSION_DENIED\",\"RESOURCE_EXHAUSTED\",\"FAILED_PRECONDITION\","
    "\"ABORTED\",\"OUT_OF_RANGE\",\"UNIMPLEMENTED\",\"INTERNAL\",\"UNAVAILABLE\",\"DATA_LOSS\","
    "\"UNAUTHENTICATED\"]},\"message\":{\"type\":\"string\"},\"details\":{\"type\":\"object\","
    "\"properties\":{\"path\":{\"type\":\"string\",\"description\":\"JSON pointer to the offending input field\"}}}},"
    "\"required\":[\"status\",\"message\"]}},\"required\":[\"error\"]},\"addInput\":{\"type\":\"object\","
    "\"description\":\"two numbers\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{"
    "\"type\":\"integer\"}},\"required\":[\"a\",\"b\"],\"additionalProperties\":false},\"addOutput\":{"
    "\"type\":\"object\",\"description\":\"their sum\",\"properties\":{\"sum\":{\"type\":\"integer\"}},"
    "\"required\":[\"sum\"],\"additionalProperties\":false}},\"responses\":{\"BadRequest\":{"
    "\"description\":\"INVALID_ARGUMENT: the body is not JSON, not an object, or its data does not match the input schema (details.path names the field),"
    " or the stream parameter is not a boolean\",\"content\":{\"application/json\":{\"schema\":{"
    "\"$ref\":\"#/components/schemas/Error\"}}}},\"Unauthorized\":{\"description\":\"UNAUTHENTICATED: no credentials (send Authorization: Bearer <key>)\","
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"Forbidden\":{\"description\":\"PERMISSION_DENIED: the credentials are not valid for this flow\","
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"NotFound\":{\"description\":\"NOT_FOUND: no flow at this path\",\"content\":{\"application/json\":{"
    "\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"PayloadTooLarge\":{\"description\":\"RESOURCE_EXHAUSTED: the request body is over the server's limit\","
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"UnsupportedMediaType\":{\"description\":\"INVALID_ARGUMENT: the body is not sent as JSON\","
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"InternalError\":{\"description\":\"INTERNAL: the flow failed (the message is hidden: see the log)\","
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"Unavailable\":{\"description\":\"UNAVAILABLE: overloaded or shutting down; retry elsewhere\","
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},"
    "\"Timeout\":{\"description\":\"DEADLINE_EXCEEDED: the flow ran out of time\",\"content\":{"
    "\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}},\"Error\":{"
    "\"description\":\"Any other failure of the flow, with the HTTP status of its Genkit status\","
    "\"content\":{\"application/json\":{\"schema\":{\"$ref\":\"#/components/schemas/Error\"}}}}},"
    "\"securitySchemes\":{\"bearerAuth\":{\"type\":\"http\",\"scheme\":\"bearer\",\"description\":\"The service's API key: Authorization: Bearer <key>\"}}}}";

TEST(openapi_writes_exact_document_for_one_secured_flow_under_prefix)
{
    gk_action *a = NULL;
    gk_genkit *g = calc_new(&a);
    ASSERT_TRUE(g && a);
    struct gk__srv_flow f = {"add", 3, a};
    bool secured = true;
    gk_buf b = GK_BUF_INIT(0);

    gk__openapi_write(&b, "calc", "1.2.3", "/api", &f, 1, &secured);

    ASSERT_FALSE(gk_buf_failed(&b));
    EXPECT_STREQ(b.ptr, expected_add);
    gk_buf_release(&b);
    gk_shutdown(g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

TEST(openapi_open_flow_has_no_security_and_no_401_403)
{
    gk_action *a = NULL;
    gk_genkit *g = calc_new(&a);
    ASSERT_TRUE(g && a);
    struct gk__srv_flow f = {"add", 3, a};
    gk_buf b = GK_BUF_INIT(0);

    gk__openapi_write(&b, "calc", "1.2.3", "", &f, 1, NULL);

    ASSERT_FALSE(gk_buf_failed(&b));
    EXPECT_TRUE(strstr(b.ptr, "\"paths\":{\"/add\":{\"post\"") != NULL);
    EXPECT_TRUE(strstr(b.ptr, "\"401\"") == NULL);
    EXPECT_TRUE(strstr(b.ptr, "\"403\"") == NULL);
    EXPECT_TRUE(strstr(b.ptr, "security") == NULL);
    EXPECT_TRUE(strstr(b.ptr, "\"400\":{\"$ref\":\"#/components/responses/BadRequest\"},"
                              "\"404\":") != NULL);
    gk_buf_release(&b);
    gk_shutdown(g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}

TEST(openapi_escapes_odd_flow_names_in_paths_and_component_names)
{
    gk_action *a = NULL;
    gk_genkit *g = calc_new(&a);
    ASSERT_TRUE(g && a);
    /* Names are only labels here: every entry reuses the add action. */
    struct gk__srv_flow f[] = {{"a_b", 3, a}, {"a/b", 3, a}, {"my flow{x}", 10, a}};
    gk_buf b = GK_BUF_INIT(0);

    gk__openapi_write(&b, "calc", "1", "", f, 3, NULL);

    ASSERT_FALSE(gk_buf_failed(&b));
    /* Sorted: "a/b" < "a_b" < "my flow{x}"; "a/b" takes a_b first, so "a_b" becomes a_b_2. */
    EXPECT_TRUE(strstr(b.ptr, "\"/a/b\":{\"post\":{\"operationId\":\"a_b\",") != NULL);
    EXPECT_TRUE(strstr(b.ptr, "\"/a_b\":{\"post\":{\"operationId\":\"a_b_2\",") != NULL);
    EXPECT_TRUE(strstr(b.ptr, "\"/my%20flow%7Bx%7D\":{\"post\":{\"operationId\":\"my_flow_x_\",") !=
                NULL);
    EXPECT_TRUE(strstr(b.ptr, "\"a_b_2Input\":") != NULL);
    EXPECT_TRUE(strstr(b.ptr, "\"my_flow_x_Output\":") != NULL);
    gk_buf_release(&b);
    gk_shutdown(g);
    gk__log_configure(GK_LOG_INFO, -1, -1);
}
