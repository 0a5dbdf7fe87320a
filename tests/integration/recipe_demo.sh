#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The demo service end to end, as a user runs it with no API key: start examples/recipe (which then
# uses the embedded local/default model), call each flow with curl (typed JSON from the model, SSE
# streaming of the steps, fan-out under a deadline, tool calls, bad input), then SIGTERM: it must
# drain and exit 0, and no request body may reach the log.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${GK_BUILD:-build-asan}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
tmp=$(mktemp -d)
# No provider key from the caller's environment: the demo must pick the local model by itself.
env -u GK_MODEL -u OPENAI_API_KEY -u ANTHROPIC_API_KEY -u GEMINI_API_KEY -u GOOGLE_API_KEY \
    PORT=$port GK_THREADS=2 GK_LOG_FORMAT=json "$build/examples/recipe" 2>"$log" &
pid=$!
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$log" "$tmp"' EXIT
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done

fail() { echo "FAIL: $*"; cat "$log"; exit 1; }
url=http://127.0.0.1:$port

grep -q '"msg":"recipe: model local/default (built in, offline' "$log" || fail "no startup line naming the model"
grep -q 'OPENAI_API_KEY, ANTHROPIC_API_KEY or GEMINI_API_KEY' "$log" || fail "startup does not say how to configure a model"

# A Recipe with every field of its schema, worded from the prompt by the local model.
check_recipe='
import json, sys
def check(r, ingredient):
    assert set(r) == {"title", "description", "prepTime", "cookTime", "servings", "ingredients",
                      "instructions", "tips"}, r
    for k in ("title", "description", "prepTime", "cookTime"):
        assert isinstance(r[k], str) and r[k], (k, r)
    assert ingredient in r["title"], r
    assert isinstance(r["servings"], int) and r["servings"] >= 1, r
    for k in ("ingredients", "instructions", "tips"):
        assert r[k] and all(isinstance(s, str) and s for s in r[k]), (k, r)
'

code=$(curl -s -o "$tmp/recipe" -w '%{http_code}' "$url/recipe" -H 'Content-Type: application/json' \
    -d '{"data":{"ingredient":"tomato","dietaryRestrictions":"vegetarian"}}')
[ "$code" = 200 ] || fail "recipe gave $code: $(cat "$tmp/recipe")"
python3 -c "$check_recipe
check(json.load(open('$tmp/recipe'))['result'], 'tomato')
" || fail "recipe: $(cat "$tmp/recipe")"

code=$(curl -s -o "$tmp/bad" -w '%{http_code}' "$url/recipe" -d '{"data":{"ingredient":7}}')
[ "$code" = 400 ] || fail "wrong type gave $code"
grep -q '"INVALID_ARGUMENT"' "$tmp/bad" || fail "wrong type body: $(cat "$tmp/bad")"
grep -q '"path":"/ingredient"' "$tmp/bad" || fail "no path in: $(cat "$tmp/bad")"
code=$(curl -s -o "$tmp/bad" -w '%{http_code}' "$url/pantryCheck" -d '{"data":{"ingredients":[]}}')
[ "$code" = 400 ] || fail "empty pantry list gave $code"
grep -q '"path":"/ingredients"' "$tmp/bad" || fail "no path in: $(cat "$tmp/bad")"

# Streaming: one RecipeStep event per instruction, numbered from 1, then the result whose
# instructions are exactly the streamed texts.
curl -sN -o "$tmp/stream" -w '%{http_code}' "$url/recipeSteps?stream=true" \
    -d '{"data":{"ingredient":"leek","dietaryRestrictions":"vegan"}}' >"$tmp/code"
[ "$(cat "$tmp/code")" = 200 ] || fail "recipeSteps gave $(cat "$tmp/code")"
python3 -c "$check_recipe
events = [json.loads(l[6:]) for l in open('$tmp/stream').read().splitlines() if l.startswith('data: ')]
steps = [e['message'] for e in events if 'message' in e]
assert len(events) == len(steps) + 1 and 'result' in events[-1], events
result = events[-1]['result']
check(result, 'leek')
assert [s['index'] for s in steps] == list(range(1, len(steps) + 1)), steps
assert all(set(s) == {'index', 'text'} for s in steps), steps
assert [s['text'] for s in steps] == result['instructions'], (steps, result)
" || fail "recipeSteps stream: $(cat "$tmp/stream")"
# Without ?stream=true the same flow answers plain JSON.
curl -s "$url/recipeSteps" -d '{"data":{"ingredient":"leek"}}' | grep -q '^{"result":{"title":' ||
    fail "recipeSteps without streaming"

# Fan-out: three courses of 100 ms each, in parallel, take about 100 ms, not 300.
code=$(curl -s -o "$tmp/menu" -w '%{http_code}' "$url/menu" \
    -d '{"data":{"ingredients":["pea","salmon","pear"],"kitchenDelayMs":100}}')
[ "$code" = 200 ] || fail "menu gave $code: $(cat "$tmp/menu")"
python3 -c "$check_recipe
m = json.load(open('$tmp/menu'))['result']
assert len(m['courses']) == 3, m
for course, ingredient in zip(m['courses'], ['pea', 'salmon', 'pear']):
    check(course, ingredient)
assert 100 <= m['elapsedMs'] < 280, m['elapsedMs']
" || fail "menu: $(cat "$tmp/menu")"

code=$(curl -s -o "$tmp/late" -w '%{http_code}' "$url/menu" \
    -d '{"data":{"ingredients":["pea"],"kitchenDelayMs":2000,"deadlineMs":50}}')
[ "$code" = 504 ] || fail "menu past its deadline gave $code: $(cat "$tmp/late")"
grep -q '"DEADLINE_EXCEEDED"' "$tmp/late" || fail "deadline body: $(cat "$tmp/late")"
grep -q 'course 1 (\\"pea\\") did not finish in time' "$tmp/late" || fail "deadline message: $(cat "$tmp/late")"

# Tools: the model calls checkStock and checkSeason for each ingredient in one turn, then answers
# from their results.
code=$(curl -s -o "$tmp/pantry" -w '%{http_code}' "$url/pantryCheck" \
    -d '{"data":{"ingredients":["tomato","basil"]}}')
[ "$code" = 200 ] || fail "pantryCheck gave $code: $(cat "$tmp/pantry")"
python3 -c "
import json
r = json.load(open('$tmp/pantry'))['result']
assert r['model'] == 'local/default' and r['toolCalls'] == 4, r
a = r['answer']
assert 'Tool \"checkStock\" returned {\"item\":\"tomato\",\"inStock\":true,\"quantity\":6,\"unit\":\"pieces\"}' in a, a
assert 'Tool \"checkStock\" returned {\"item\":\"basil\",\"inStock\":false,\"quantity\":0,\"unit\":\"\"}' in a, a
assert 'Tool \"checkSeason\" returned {\"item\":\"tomato\",\"season\":\"summer\"}' in a, a
assert 'Tool \"checkSeason\" returned {\"item\":\"basil\",\"season\":\"summer\"}' in a, a
" || fail "pantryCheck: $(cat "$tmp/pantry")"

kill -TERM $pid
wait $pid || fail "exit status $? after SIGTERM"
for flow in recipe recipeSteps menu pantryCheck; do
    grep -q "\"path\":\"/$flow\"" "$log" || fail "no request log line for /$flow"
done
if grep '^{' "$log" | grep -q 'tomato\|leek\|salmon'; then fail "a request body reached the log"; fi

# Model selection: with OPENAI_API_KEY (and OPENAI_BASE_URL, as for any OpenAI-compatible server)
# the demo uses openai/gpt-4o-mini through the openai plugin. A fake server on loopback fails the
# first call with 503 (the retry middleware must absorb it) and then answers a fixed recipe, plain
# and streamed (SSE, 40 bytes per event).
cat >"$tmp/fake.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
recipe = {"title": "Tomato Tart", "description": "A tart.", "prepTime": "10 minutes",
          "cookTime": "30 minutes", "servings": 4, "ingredients": ["3 tomatoes", "1 pastry sheet"],
          "instructions": ["Heat the oven.", "Slice the tomatoes.", "Bake for 30 minutes."],
          "tips": ["Use ripe tomatoes."]}
calls = [0]
class Fake(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def reply(self, code, ctype, body):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        calls[0] += 1
        assert self.path == "/v1/chat/completions" and req["model"] == "gpt-4o-mini", req
        assert self.headers["Authorization"] == "Bearer sk-demo-secret"
        if calls[0] == 1:
            return self.reply(503, "application/json", b'{"error":{"message":"overloaded"}}')
        text = json.dumps(recipe)
        if not req.get("stream"):
            msg = {"role": "assistant", "content": text}
            out = {"id": "c", "object": "chat.completion", "created": 1, "model": "m",
                   "choices": [{"index": 0, "message": msg, "finish_reason": "stop"}]}
            return self.reply(200, "application/json", json.dumps(out).encode())
        events = ""
        for i in range(0, len(text), 40):
            delta = {"content": text[i:i + 40]}
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            events += "data: " + json.dumps(chunk) + "\n\n"
        stop = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        events += "data: " + json.dumps(stop) + "\n\ndata: [DONE]\n\n"
        self.reply(200, "text/event-stream", events.encode())
server = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
open(sys.argv[1], "w").write(str(server.server_address[1]))
server.serve_forever()
PY
python3 "$tmp/fake.py" "$tmp/fake_port" &
fake=$!
trap 'kill -9 $pid $fake 2>/dev/null || true; rm -rf "$log" "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/fake_port" ] && break; sleep 0.05; done
: >"$log"
env -u GK_MODEL -u ANTHROPIC_API_KEY -u GEMINI_API_KEY -u GOOGLE_API_KEY OPENAI_API_KEY=sk-demo-secret \
    OPENAI_BASE_URL="http://127.0.0.1:$(cat "$tmp/fake_port")/v1" PORT=$port GK_THREADS=1 \
    GK_LOG_FORMAT=json "$build/examples/recipe" 2>"$log" &
pid=$!
for _ in $(seq 200); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.05; done
grep -q '"msg":"recipe: model openai/gpt-4o-mini (OPENAI_API_KEY is set)"' "$log" || fail "openai not chosen"
out=$(curl -s "$url/recipe" -d '{"data":{"ingredient":"tomato"}}')
echo "$out" | grep -q '^{"result":{"title":"Tomato Tart",.*"tips":\["Use ripe tomatoes."\]}}$' || fail "openai recipe: $out"
grep -q '"msg":"retrying model call","model":"openai/gpt-4o-mini","attempt":"1"' "$log" || fail "no retry after the 503"
curl -sN "$url/recipeSteps?stream=true" -d '{"data":{"ingredient":"tomato"}}' >"$tmp/stream"
python3 -c "
import json
events = [json.loads(l[6:]) for l in open('$tmp/stream').read().splitlines() if l.startswith('data: ')]
assert [e['message']['text'] for e in events[:-1]] == ['Heat the oven.', 'Slice the tomatoes.', 'Bake for 30 minutes.'], events
assert events[-1]['result']['title'] == 'Tomato Tart', events
" || fail "openai stream: $(cat "$tmp/stream")"
kill -TERM $pid
wait $pid || fail "exit status $? after SIGTERM (openai)"
grep -q 'sk-demo-secret' "$log" && fail "the API key reached the log"
if grep '^{' "$log" | grep -q 'tomato\|Tart'; then fail "a body reached the log"; fi
kill $fake
wait $fake 2>/dev/null || true
echo "recipe demo ok"
