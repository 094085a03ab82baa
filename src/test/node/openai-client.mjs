// Drives a running Paternoster server with the official `openai` npm package, unmodified.
// Usage: node openai-client.mjs http://127.0.0.1:PORT [MODEL]
// Exits 0 when every check passed, 1 (with the failed check on stderr) otherwise.
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const base = process.argv[2];
if (!base) {
  console.error('usage: node openai-client.mjs BASE_URL [MODEL]');
  process.exit(2);
}
const client = new OpenAI({ baseURL: base.replace(/\/$/, '') + '/v1', apiKey: process.env.OPENAI_API_KEY || 'not-needed', maxRetries: 0 });

async function check(name, fn) {
  const t0 = Date.now();
  await fn();
  console.log(`ok - ${name} (${Date.now() - t0} ms)`);
}

try {
  const models = await client.models.list();
  const model = process.argv[3] || models.data[0].id;

  await check('models.list names the served model', async () => {
    assert.ok(models.data.some((m) => m.id === model), JSON.stringify(models.data));
    assert.equal(models.data[0].object, 'model');
  });

  let greedyText;
  await check('completions.create (non-streaming, greedy)', async () => {
    const r = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 20, temperature: 0 });
    assert.match(r.id, /^cmpl-/);
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices.length, 1);
    greedyText = r.choices[0].text;
    assert.ok(greedyText.length > 0, 'empty completion');
    assert.ok(['length', 'stop'].includes(r.choices[0].finish_reason));
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  });

  await check('completions.create (streaming) gives the same greedy text', async () => {
    const stream = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 20, temperature: 0, stream: true });
    let text = '';
    let finish = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'text_completion');
      text += chunk.choices[0]?.text ?? '';
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    }
    assert.equal(text, greedyText);
    assert.ok(finish, 'no finish_reason in the stream');
  });

  let chatText;
  const messages = [
    { role: 'system', content: 'You tell short stories.' },
    { role: 'user', content: 'Tell me about a cat.' },
  ];
  await check('chat.completions.create (non-streaming)', async () => {
    const r = await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0 });
    assert.match(r.id, /^chatcmpl-/);
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.role, 'assistant');
    chatText = r.choices[0].message.content;
    assert.equal(typeof chatText, 'string');
    assert.ok(r.usage.completion_tokens > 0);
  });

  await check('chat.completions.create (streaming, include_usage) gives the same text', async () => {
    const stream = await client.chat.completions.create({
      model, messages, max_tokens: 24, temperature: 0, stream: true, stream_options: { include_usage: true },
    });
    let text = '';
    let role = null;
    let usage = null;
    let finish = null;
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      const c = chunk.choices[0];
      if (!c) continue;
      if (c.delta.role) role = c.delta.role;
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
    assert.equal(role, 'assistant');
    assert.equal(text, chatText);
    assert.ok(finish);
    assert.ok(usage && usage.completion_tokens > 0, 'no usage chunk');
  });

  await check('chat logprobs with top_logprobs', async () => {
    const r = await client.chat.completions.create({ model, messages, max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 3 });
    const content = r.choices[0].logprobs.content;
    assert.equal(content.length, r.usage.completion_tokens);
    for (const t of content) {
      assert.ok(t.logprob <= 0);
      assert.ok(Array.isArray(t.bytes));
      assert.equal(t.top_logprobs.length, 3);
    }
  });

  await check('n=2 with a seed is reproducible', async () => {
    const req = { model, prompt: 'The dog', max_tokens: 12, temperature: 1, n: 2, seed: 42 };
    const a = await client.completions.create(req);
    const b = await client.completions.create(req);
    assert.equal(a.choices.length, 2);
    assert.deepEqual(a.choices.map((c) => c.text), b.choices.map((c) => c.text));
  });

  await check('a bad parameter is a BadRequestError (400) naming it', async () => {
    await assert.rejects(
      client.completions.create({ model, prompt: 'x', max_tokens: 5, top_p: 1.5 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /top_p/.test(e.message));
  });

  console.log('openai client: all checks passed');
  process.exit(0);
} catch (e) {
  console.error('openai client: FAILED:', e?.stack || e);
  process.exit(1);
}
