// SPDX-License-Identifier: Apache-2.0
// The Genkit Developer UI server (`genkit start`, genkit-cli) drives our runtime through its own
// API: the tRPC procedures under /api/ that the UI page calls (listActions, getCurrentRuntime,
// listTraces, getTrace, cancelAction) and the plain routes /api/runAction and /api/streamAction,
// which the CLI proxies to our reflection API; also the built-in /util/generate action the UI's model
// runner calls (run, streamed, and its generate spans). Usage:
//   node ui_api_test.mjs http://127.0.0.1:UI_PORT
// Needs no npm package (Node's fetch only). Each check prints "ok <name>"; the first failure
// prints "FAIL <name>: <why>" and exits 1. Prints "TRACE <id>" for the recipe run.
import assert from 'node:assert/strict';

const ui = process.argv[2];
if (!ui) {
  console.error('usage: node ui_api_test.mjs http://127.0.0.1:UI_PORT');
  process.exit(2);
}
const api = `${ui}/api`;
const said = (ingredient, what) => `${what} (Create a recipe with ${ingredient})`;

// A tRPC v10 query: GET /api/<proc>?input=<json>; returns result.data.
async function query(proc, input) {
  const q = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const r = await fetch(`${api}/${proc}${q}`);
  const body = await r.text();
  assert.equal(r.status, 200, `${proc}: HTTP ${r.status}: ${body}`);
  return JSON.parse(body).result.data;
}

// A tRPC v10 mutation: POST /api/<proc> with the JSON input; returns result.data.
async function mutate(proc, input) {
  const r = await fetch(`${api}/${proc}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = await r.text();
  assert.equal(r.status, 200, `${proc}: HTTP ${r.status}: ${body}`);
  return JSON.parse(body).result?.data;
}

// POST /api/runAction: the status, the X-Genkit-Trace-Id header and the parsed body.
async function runAction(key, input) {
  const r = await fetch(`${api}/runAction`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ key, input }),
  });
  return { status: r.status, traceHeader: r.headers.get('x-genkit-trace-id'), body: await r.json() };
}

// A trace as the UI shows it: "name path state parent" per span, sorted. Retries briefly: our
// runtime exports spans to the CLI's telemetry server off the request path.
async function spansOf(traceId, want) {
  let got = '';
  for (let i = 0; i < 50; i++) {
    const t = await query('getTrace', { traceId }).catch(() => null);
    if (t && t.spans) {
      const spans = Object.values(t.spans);
      const byId = Object.fromEntries(spans.map((s) => [s.spanId, s]));
      got = spans.map((s) => [s.displayName, s.attributes['genkit:path'], s.attributes['genkit:state'],
        s.parentSpanId ? byId[s.parentSpanId]?.displayName : '-'].join(' ')).sort().join('\n');
      if (got === want) return got;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  assert.equal(got, want, `trace ${traceId}:\ngot:\n${got || '(no trace)'}\nwant:\n${want}`);
}

let passed = 0;
async function check(name, fn) {
  try {
    await fn();
  } catch (e) {
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  }
  passed++;
  console.log(`ok   ${name}`);
}

await check('getCurrentRuntime: the UI sees our runtime', async () => {
  // The CLI registers a runtime once its file appeared and a health check answered: on a loaded
  // machine that can come after the UI itself is up, so give it a few seconds.
  let rt = await query('getCurrentRuntime');
  for (let i = 0; i < 100 && !(rt && rt.name); i++) {
    await new Promise((res) => setTimeout(res, 100));
    rt = await query('getCurrentRuntime');
  }
  assert.equal(rt.name, 'recipe');
  assert.match(rt.genkitVersion, /^c\//);
  assert.equal(rt.reflectionApiSpecVersion, 1);
  assert.match(rt.reflectionServerUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  console.log(`     runtime ${rt.id} genkitVersion ${rt.genkitVersion} at ${rt.reflectionServerUrl}`);
});

await check('getAppProcessStatus: the CLI runs our binary', async () => {
  assert.deepEqual(await query('getAppProcessStatus'), { status: 'running' });
});

await check('listActions: the four recipe flows with their JSON schemas', async () => {
  const actions = await query('listActions', {});
  for (const name of ['recipe', 'recipeSteps', 'menu', 'pantryCheck']) {
    const a = actions[`/flow/${name}`];
    assert.ok(a, `no /flow/${name} in ${Object.keys(actions).join(', ')}`);
    assert.equal(a.name, name);
    assert.equal(a.type, 'flow');
    assert.equal(a.inputSchema.type, 'object');
    assert.equal(a.outputSchema.type, 'object');
  }
  assert.deepEqual(actions['/flow/recipe'].inputSchema.required, ['ingredient']);
  assert.equal(actions['/flow/recipe'].description, 'Create a recipe from a main ingredient');
  const models = Object.keys(actions).filter((k) => k.startsWith('/model/'));
  assert.ok(models.includes('/model/local/default'), `models: ${models}`);
  // The built-in action the UI's model and prompt runners call.
  const gen = actions['/util/generate'];
  assert.ok(gen, 'no /util/generate');
  assert.equal(gen.type, 'util');
  assert.deepEqual(gen.inputSchema.required, ['messages']);
  assert.ok(gen.inputSchema.properties.tools && gen.inputSchema.properties.output);
  assert.ok(gen.outputSchema.properties.message && gen.streamSchema.properties.index);
  console.log(`     ${Object.keys(actions).length} actions: ${Object.keys(actions).sort().join(' ')}`);
});

let recipeTrace = '';
await check('runAction recipe (the UI\'s Run button): result and trace id', async () => {
  const r = await runAction('/flow/recipe', { ingredient: 'tomato' });
  assert.equal(r.status, 200);
  assert.equal(r.body.result.title, said('tomato', 'Title'));
  assert.deepEqual(r.body.result.instructions, [1, 2, 3].map((i) => said('tomato', `Instructions ${i}`)));
  assert.match(r.body.telemetry.traceId, /^[0-9a-f]{32}$/);
  assert.equal(r.traceHeader, r.body.telemetry.traceId);
  recipeTrace = r.body.telemetry.traceId;
  console.log(`TRACE ${recipeTrace}`);
});

await check('streamAction recipeSteps: chunk lines, then the result', async () => {
  const r = await fetch(`${api}/streamAction`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ key: '/flow/recipeSteps', input: { ingredient: 'leek' } }),
  });
  assert.equal(r.status, 200);
  const lines = (await r.text()).split('\n').map((l) => JSON.parse(l));
  const last = lines.pop();
  assert.deepEqual(lines, [1, 2, 3].map((i) => ({ index: i, text: said('leek', `Instructions ${i}`) })));
  assert.deepEqual(last.result.instructions, lines.map((c) => c.text));
});

await check('runAction with a wrongly typed input: the UI gets INVALID_ARGUMENT naming the path',
  async () => {
    const r = await runAction('/flow/recipe', { ingredient: 7 });
    assert.equal(r.status, 500); // the CLI's status for any runtime error before the trace id
    assert.equal(r.body.error.code, 3); // google.rpc.Code INVALID_ARGUMENT
    assert.equal(r.body.error.message, '/ingredient: expected string, got number');
  });

await check('runAction menu past its deadline: DEADLINE_EXCEEDED with the trace id', async () => {
  const r = await runAction('/flow/menu', { ingredients: ['pea'], kitchenDelayMs: 2000, deadlineMs: 50 });
  assert.equal(r.body.error.code, 4); // DEADLINE_EXCEEDED
  assert.equal(r.body.error.message, 'course 1 ("pea") did not finish in time');
  assert.match(r.body.error.details.traceId, /^[0-9a-f]{32}$/);
});

await check('cancelAction (the UI\'s Stop button) cancels a running flow in our runtime', async () => {
  const started = Date.now();
  const res = fetch(`${api}/runAction`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ key: '/flow/menu', input: { ingredients: ['pea'], kitchenDelayMs: 5000, deadlineMs: 20000 } }),
  });
  const r = await res; // headers come as soon as the root span exists
  const traceId = r.headers.get('x-genkit-trace-id');
  assert.match(traceId || '', /^[0-9a-f]{32}$/, 'runAction sends X-Genkit-Trace-Id before the result');
  await mutate('cancelAction', { traceId });
  const body = JSON.parse(await r.text());
  const ms = Date.now() - started;
  assert.ok(body.error, `a cancelled run answers an error, got ${JSON.stringify(body)}`);
  assert.equal(body.error.code, 1, JSON.stringify(body)); // CANCELLED
  assert.ok(ms < 4000, `cancel took ${ms} ms`);
  console.log(`     cancelled after ${ms} ms: ${body.error.message}`);
});

await check('listTraces / getTrace: the recipe run is listed with its generate and model spans', async () => {
  await spansOf(recipeTrace, [
    `generate /{recipe,t:flow}/{generate,t:util} success recipe`,
    `local/default /{recipe,t:flow}/{generate,t:util}/{local/default,t:action,s:model} success generate`,
    `recipe /{recipe,t:flow} success -`,
  ].join('\n'));
  // The menu runs (deadline, cancel) ended just before: on a loaded machine their traces may still be
  // on their way to the telemetry server, so poll briefly.
  let list;
  for (let i = 0; i < 50; i++) {
    list = await query('listTraces', { limit: 20 });
    const seen = new Set(list.traces.map((x) => x.displayName));
    if (['recipe', 'recipeSteps', 'menu'].every((n) => seen.has(n))) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  const t = list.traces.find((x) => x.traceId === recipeTrace);
  assert.ok(t, `trace ${recipeTrace} not listed`);
  assert.equal(t.displayName, 'recipe');
  const names = new Set(list.traces.map((x) => x.displayName));
  for (const n of ['recipe', 'recipeSteps', 'menu']) assert.ok(names.has(n), `no ${n} trace listed`);
});

await check('runAction /util/generate (the UI\'s model runner): a model message and its generate trace',
  async () => {
    const messages = [{ role: 'user', content: [{ text: 'Say hello' }] }];
    const r = await runAction('/util/generate', { model: 'local/default', messages });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const res = r.body.result;
    assert.equal(res.message.role, 'model');
    assert.match(res.message.content[0].text, /^You said: "Say hello"\./);
    assert.equal(res.finishReason, 'stop');
    assert.deepEqual(res.request.messages, messages); // filled in, as Genkit JS does
    await spansOf(r.body.telemetry.traceId, [
      `generate /{generate,t:util} success -`,
      `local/default /{generate,t:util}/{local/default,t:action,s:model} success generate`,
    ].join('\n'));
  });

await check('streamAction /util/generate: GenerateResponseChunk lines, then the response', async () => {
  const r = await fetch(`${api}/streamAction`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ key: '/util/generate', input: { messages: [{ role: 'user', content: [{ text: 'Stream it' }] }] } }),
  });
  assert.equal(r.status, 200);
  const lines = (await r.text()).split('\n').filter((l) => l).map((l) => JSON.parse(l));
  const last = lines.pop();
  assert.ok(lines.length >= 2, `chunks: ${JSON.stringify(lines)}`);
  for (const c of lines) assert.deepEqual([c.role, c.index], ['model', 0]);
  const text = lines.map((c) => c.content.map((p) => p.text).join('')).join('');
  assert.equal(text, last.result.message.content[0].text);
});

await check('runAction /util/generate with a tool: the second turn nests in the first', async () => {
  const r = await runAction('/util/generate', {
    model: 'local/default',
    messages: [{ role: 'user', content: [{ text: 'Use checkStock for "leek"' }] }],
    tools: ['checkStock'],
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const res = r.body.result;
  assert.match(res.message.content[0].text, /^Tool "checkStock" returned \{"item":"leek","inStock":false/);
  assert.deepEqual(res.request.messages.map((m) => m.role), ['user', 'model', 'tool']);
  await spansOf(r.body.telemetry.traceId, [
    `checkStock /{generate,t:util}/{checkStock,t:action,s:tool} success generate`,
    `generate /{generate,t:util} success -`,
    `generate /{generate,t:util}/{generate,t:util} success generate`,
    `local/default /{generate,t:util}/{generate,t:util}/{local/default,t:action,s:model} success generate`,
    `local/default /{generate,t:util}/{local/default,t:action,s:model} success generate`,
  ].join('\n'));
});

console.log(`${passed} passed`);
