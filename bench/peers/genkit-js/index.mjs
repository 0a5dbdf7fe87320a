// SPDX-License-Identifier: Apache-2.0
// The `recipe` flow of examples/recipe written with Genkit JS, for bench/peers/run.sh: the same
// input and output schemas as the C RecipeInput / Recipe, the same system prompt and user prompt,
// and an in-process mock model (ai.defineModel) that answers what genkit-c's embedded local model
// answers, byte for byte, as JSON text that ai.generate({output: {schema}}) parses and validates.
// Served by startFlowServer (express + expressHandler): POST /recipe {"data": ...} -> {"result": ...}.
// Usage: PORT=18082 node index.mjs
import { startFlowServer } from '@genkit-ai/express';
import { genkit, z } from 'genkit';

const ai = genkit({});

const RecipeInput = z
  .object({
    ingredient: z.string().min(1).max(100).describe('Main ingredient'),
    dietaryRestrictions: z
      .string()
      .max(200)
      .optional()
      .describe('e.g. vegetarian, vegan, gluten-free'),
  })
  .describe('What to cook');

const Recipe = z
  .object({
    title: z.string().describe('Name of the dish'),
    description: z.string().describe('One-sentence summary'),
    prepTime: z.string().describe('e.g. 10 minutes'),
    cookTime: z.string().describe('e.g. 25 minutes'),
    servings: z.number().int().min(1).describe('Number of servings'),
    ingredients: z.array(z.string()).describe('Ingredients with quantities'),
    instructions: z.array(z.string()).describe('Steps in order'),
    tips: z.array(z.string()).optional().describe('Optional tips'),
  })
  .describe('A recipe');

const chef = 'You are a chef who writes clear, simple home recipes.';

// The prompt's first sentence or line, at most 40 bytes cut at a word boundary, whitespace folded:
// what plugins/local quotes in every generated string (ASCII prompts, as in the benchmark).
function topicOf(prompt) {
  let out = '';
  let lastSpace = 0;
  let cut = false;
  for (let i = 0; i < prompt.length; i++) {
    const c = prompt[i];
    const space = c === ' ' || c === '\t' || c === '\n' || c === '\r';
    if (out.length > 0 && (c === '\n' || c === '\r')) break;
    if (out.length > 0 && '.!?'.includes(c) && (i + 1 === prompt.length || /\s/.test(prompt[i + 1])))
      break;
    if (space && (out.length === 0 || out.endsWith(' '))) continue;
    if (out.length === 40) {
      cut = true;
      break;
    }
    if (space) lastSpace = out.length;
    out += space ? ' ' : c;
  }
  if (cut && lastSpace > 0) out = out.slice(0, lastSpace);
  return out.trimEnd();
}

// The mock model: the Recipe the embedded local model generates for this prompt, as JSON text.
const mock = ai.defineModel(
  { name: 'mock/recipe', supports: { multiturn: true, systemRole: true, output: ['json', 'text'] } },
  async (request) => {
    const user = request.messages.findLast((m) => m.role === 'user');
    const prompt = user?.content.find((p) => typeof p.text === 'string')?.text ?? '';
    const t = topicOf(prompt);
    const list = (name) => [1, 2, 3].map((i) => `${name} ${i} (${t})`);
    const recipe = {
      title: `Title (${t})`,
      description: `Description (${t})`,
      prepTime: `Prep time (${t})`,
      cookTime: `Cook time (${t})`,
      servings: 2,
      ingredients: list('Ingredients'),
      instructions: list('Instructions'),
      tips: list('Tips'),
    };
    return {
      message: { role: 'model', content: [{ text: JSON.stringify(recipe) }] },
      finishReason: 'stop',
    };
  }
);

function recipePrompt(ingredient, restrictions) {
  return (
    `Create a recipe with ${ingredient}.\n` +
    (restrictions ? `Dietary restrictions: ${restrictions}.\n` : '') +
    'Give it a title, a one-sentence description, prep and cook times, the number of ' +
    'servings, the ingredients with quantities, the instructions as short steps in order, and ' +
    'a few tips.'
  );
}

export const recipeFlow = ai.defineFlow(
  { name: 'recipe', inputSchema: RecipeInput, outputSchema: Recipe },
  async (input) => {
    const { output } = await ai.generate({
      model: mock,
      system: chef,
      prompt: recipePrompt(input.ingredient, input.dietaryRestrictions),
      output: { schema: Recipe },
    });
    if (!output) throw new Error('the model returned no recipe');
    return output;
  }
);

startFlowServer({ flows: [recipeFlow], port: Number.parseInt(process.env.PORT ?? '18082', 10) });
