// SPDX-License-Identifier: Apache-2.0
// The official Genkit JS client (genkit/beta/client, the npm `genkit` package pinned in
// package.json) against the genkit-c recipe example's flow server. Usage:
//   node client_test.mjs http://127.0.0.1:PORT
// Each check prints "ok <name>"; the first failure prints "FAIL <name>: <why>" and exits 1.
// The example runs on the embedded local/default model, so every answer is deterministic.
import assert from 'node:assert/strict';
import { runFlow, streamFlow } from 'genkit/beta/client';

const base = process.argv[2];
if (!base) {
  console.error('usage: node client_test.mjs http://127.0.0.1:PORT');
  process.exit(2);
}
const RECIPE_KEYS = ['cookTime', 'description', 'ingredients', 'instructions', 'prepTime',
  'servings', 'tips', 'title'];
const said = (ingredient, what) => `${what} (Create a recipe with ${ingredient})`;

// A Recipe exactly as the local model words it for `ingredient`.
function checkRecipe(r, ingredient) {
  assert.equal(typeof r, 'object');
  assert.deepEqual(Object.keys(r).sort(), RECIPE_KEYS);
  assert.equal(r.title, said(ingredient, 'Title'));
  assert.equal(r.description, said(ingredient, 'Description'));
  assert.equal(r.prepTime, said(ingredient, 'Prep time'));
  assert.equal(r.cookTime, said(ingredient, 'Cook time'));
  assert.ok(Number.isInteger(r.servings) && r.servings >= 1, `servings ${r.servings}`);
  for (const k of ['ingredients', 'instructions', 'tips']) {
    assert.ok(Array.isArray(r[k]) && r[k].length > 0, `${k} is a non-empty array`);
    const word = { ingredients: 'Ingredients', instructions: 'Instructions', tips: 'Tips' }[k];
    assert.deepEqual(r[k], r[k].map((_, i) => said(ingredient, `${word} ${i + 1}`)));
  }
}

// Runs `fn`, which must throw; returns the error's message.
async function thrown(fn) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof Error, `threw a non-Error: ${e}`);
    return e.message;
  }
  assert.fail('expected an error, got a result');
}

// Drains a streamFlow call: every chunk in arrival order, then the output (or the error).
async function drain(call) {
  call.output.catch(() => {}); // observed below; keeps a rejection from counting as unhandled
  const chunks = [];
  let streamError = null;
  try {
    for await (const c of call.stream) chunks.push(c);
  } catch (e) {
    streamError = e;
  }
  let output;
  let outputError = null;
  try {
    output = await call.output;
  } catch (e) {
    outputError = e;
  }
  return { chunks, output, streamError, outputError };
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

await check('runFlow recipe returns the typed Recipe', async () => {
  const r = await runFlow({
    url: `${base}/recipe`,
    input: { ingredient: 'tomato', dietaryRestrictions: 'vegetarian' },
  });
  checkRecipe(r, 'tomato');
  console.log(`     title: ${JSON.stringify(r.title)}, ${r.instructions.length} instructions`);
});

await check('runFlow sends caller headers (Authorization, custom) and still succeeds', async () => {
  const r = await runFlow({
    url: `${base}/recipe`,
    input: { ingredient: 'fig' },
    headers: { Authorization: 'Bearer not-checked-by-the-demo', 'X-Client-Test': 'js-client' },
  });
  checkRecipe(r, 'fig');
});

await check('streamFlow recipeSteps: ordered {index,text} chunks equal the result instructions',
  async () => {
    const got = await drain(streamFlow({
      url: `${base}/recipeSteps`,
      input: { ingredient: 'leek', dietaryRestrictions: 'vegan' },
    }));
    assert.equal(got.streamError, null);
    assert.equal(got.outputError, null);
    checkRecipe(got.output, 'leek');
    assert.ok(got.chunks.length >= 1, 'at least one chunk');
    for (const c of got.chunks) assert.deepEqual(Object.keys(c).sort(), ['index', 'text']);
    assert.deepEqual(got.chunks.map((c) => c.index), got.chunks.map((_, i) => i + 1));
    assert.deepEqual(got.chunks.map((c) => c.text), got.output.instructions);
    console.log(`     ${got.chunks.length} chunks: ${got.chunks.map((c) => JSON.stringify(c)).join(' ')}`);
  });

await check('streamFlow on a flow with no stream (recipe): no chunks, then the result', async () => {
  const got = await drain(streamFlow({ url: `${base}/recipe`, input: { ingredient: 'pea' } }));
  assert.equal(got.outputError, null);
  assert.deepEqual(got.chunks, []);
  checkRecipe(got.output, 'pea');
});

await check('runFlow with a wrongly typed input throws 400 INVALID_ARGUMENT naming the path',
  async () => {
    const msg = await thrown(() => runFlow({ url: `${base}/recipe`, input: { ingredient: 7 } }));
    assert.match(msg, /^Server returned: 400: /);
    const body = JSON.parse(msg.slice('Server returned: 400: '.length));
    assert.equal(body.error.status, 'INVALID_ARGUMENT');
    assert.equal(body.error.details.path, '/ingredient');
    console.log(`     ${msg}`);
  });

await check('runFlow with a missing required field throws INVALID_ARGUMENT naming it', async () => {
  const msg = await thrown(() => runFlow({ url: `${base}/recipe`, input: {} }));
  assert.match(msg, /^Server returned: 400: .*"INVALID_ARGUMENT"/);
  assert.match(msg, /ingredient/);
});

await check('runFlow on an unknown flow throws 404 NOT_FOUND', async () => {
  const msg = await thrown(() => runFlow({ url: `${base}/noSuchFlow`, input: {} }));
  assert.match(msg, /^Server returned: 404: /);
  assert.match(msg, /"NOT_FOUND"/);
  console.log(`     ${msg}`);
});

await check('streamFlow with a wrongly typed input throws INVALID_ARGUMENT (stream and output)',
  async () => {
    const got = await drain(streamFlow({ url: `${base}/recipeSteps`, input: { ingredient: 7 } }));
    assert.deepEqual(got.chunks, []);
    assert.ok(got.outputError, 'output rejects');
    assert.ok(got.streamError, 'the stream iterator throws');
    assert.match(got.outputError.message, /^INVALID_ARGUMENT: expected string, got number/);
    assert.equal(got.streamError.message, got.outputError.message);
    console.log(`     ${JSON.stringify(got.outputError.message)}`);
  });

await check('streamFlow on an unknown flow throws 404', async () => {
  const got = await drain(streamFlow({ url: `${base}/noSuchFlow`, input: {} }));
  assert.ok(got.outputError, 'output rejects');
  assert.match(got.outputError.message, /^Server returned: 404: .*"NOT_FOUND"/);
});

await check('runFlow menu past its deadline throws 504 DEADLINE_EXCEEDED', async () => {
  const msg = await thrown(() => runFlow({
    url: `${base}/menu`,
    input: { ingredients: ['pea'], kitchenDelayMs: 2000, deadlineMs: 50 },
  }));
  assert.match(msg, /^Server returned: 504: /);
  const body = JSON.parse(msg.slice('Server returned: 504: '.length));
  assert.equal(body.error.status, 'DEADLINE_EXCEEDED');
  assert.match(body.error.message, /course 1 \("pea"\) did not finish in time/);
  console.log(`     ${msg}`);
});

await check('runFlow menu within its deadline returns every course', async () => {
  const m = await runFlow({
    url: `${base}/menu`,
    input: { ingredients: ['pea', 'salmon'], kitchenDelayMs: 5, deadlineMs: 5000 },
  });
  assert.equal(m.courses.length, 2);
  checkRecipe(m.courses[0], 'pea');
  checkRecipe(m.courses[1], 'salmon');
});

await check('abortSignal cancels a slow call; the server keeps serving', async () => {
  const ac = new AbortController();
  const pending = runFlow({
    url: `${base}/menu`,
    input: { ingredients: ['pea'], kitchenDelayMs: 3000, deadlineMs: 10000 },
    abortSignal: ac.signal,
  });
  setTimeout(() => ac.abort(), 100);
  const err = await pending.then(() => null, (e) => e);
  assert.ok(err, 'the aborted call rejects');
  assert.equal(err.name, 'AbortError');
  checkRecipe(await runFlow({ url: `${base}/recipe`, input: { ingredient: 'kale' } }), 'kale');
});

console.log(`${passed} passed`);
