/* expect: _Generic.*selector of type .*not compatible with any association */
/* GK_DEFINE_FLOW checks the flow function against the declared input and output types: a function
 * that takes another input type must not compile. */
#include <genkit/flow.h>

typedef struct Question {
    const char *text;
} Question;

typedef struct Query {
    const char *text;
} Query;

typedef struct Answer {
    const char *text;
} Answer;

GK_SCHEMA_DECLARE(Question);
GK_SCHEMA_DECLARE(Query);
GK_SCHEMA_DECLARE(Answer);

GK_SCHEMA_DEFINE(Question, NULL, GK_FIELD_STRING(Question, text, "text", NULL));
GK_SCHEMA_DEFINE(Query, NULL, GK_FIELD_STRING(Query, text, "text", NULL));
GK_SCHEMA_DEFINE(Answer, NULL, GK_FIELD_STRING(Answer, text, "text", NULL));

#ifdef GK_COMPILE_FAIL_FIXED
static gk_status answer(gk_ctx *ctx, const Question *in, Answer *out, gk_error *err)
#else
static gk_status answer(gk_ctx *ctx, const Query *in, Answer *out, gk_error *err)
#endif
{
    (void)ctx;
    (void)err;
    out->text = in->text;
    return GK_OK;
}

gk_action *define_answer(gk_genkit *g, gk_error *err);

gk_action *define_answer(gk_genkit *g, gk_error *err)
{
    return GK_DEFINE_FLOW(g, "answer", "Answers a question", answer, Question, Answer, err);
}
