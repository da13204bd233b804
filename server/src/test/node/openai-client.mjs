// The official openai client against Rill: logprobs, structured output (json_schema), tools, n > 1 and
// streamed usage. Prints one JSON object with what it got; the Java test (ClientsTest) checks it.
// Usage: node openai-client.mjs BASE_URL MODEL
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 120_000 });
const out = {};

// logprobs on chat completions, not streamed and streamed
const lp = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Say something." }], max_tokens: 8, seed: 3,
  logprobs: true, top_logprobs: 3,
});
out.logprobs = lp.choices[0].logprobs;
const lpStream = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Say something." }], max_tokens: 8, seed: 3,
  logprobs: true, top_logprobs: 2, stream: true,
});
out.streamedLogprobs = [];
for await (const chunk of lpStream) {
  for (const c of chunk.choices) if (c.logprobs?.content) out.streamedLogprobs.push(...c.logprobs.content);
}

// structured output: a JSON schema, strict (strings bounded: the test model's weights are random, and an
// unbounded string would end only by chance)
const schema = {
  type: "object",
  properties: {
    name: { type: "string", maxLength: 12 },
    age: { type: "integer" },
    tags: { type: "array", items: { type: "string", maxLength: 8 }, maxItems: 3 },
    pet: { anyOf: [{ type: "null" }, { type: "object", properties: { kind: { enum: ["cat", "dog"] } }, required: ["kind"], additionalProperties: false }] },
  },
  required: ["name", "age", "tags", "pet"],
  additionalProperties: false,
};
const structured = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Describe a person." }], max_tokens: 400, seed: 5,
  response_format: { type: "json_schema", json_schema: { name: "person", schema, strict: true } },
});
out.schema = schema;
out.structured = structured.choices[0].message.content;
out.structuredFinish = structured.choices[0].finish_reason;

// tools: required, then the tool's result back in the conversation
const tools = [{
  type: "function",
  function: {
    name: "get_weather", description: "The weather in a city",
    parameters: { type: "object", properties: { city: { type: "string", enum: ["Paris", "Oslo", "Lima"] }, days: { type: "integer" } },
                  required: ["city", "days"], additionalProperties: false },
  },
}];
const messages = [{ role: "user", content: "Weather in Paris?" }];
const called = await client.chat.completions.create({ model, messages, tools, tool_choice: "required", max_tokens: 300, seed: 7 });
out.toolCall = called.choices[0];
messages.push(called.choices[0].message);
for (const tc of called.choices[0].message.tool_calls) messages.push({ role: "tool", tool_call_id: tc.id, content: "{\"temp\": 21}" });
const answered = await client.chat.completions.create({ model, messages, tools, tool_choice: "none", max_tokens: 10, seed: 7 });
out.afterTool = answered.choices[0];
// streamed, a named function
const streamedCall = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Weather in Oslo?" }], tools, max_tokens: 300, seed: 8, stream: true,
  tool_choice: { type: "function", function: { name: "get_weather" } },
});
const calls = {};
out.streamedFinish = null;
for await (const chunk of streamedCall) {
  const c = chunk.choices[0];
  if (!c) continue;
  for (const d of c.delta.tool_calls ?? []) {
    calls[d.index] ??= { id: "", name: "", arguments: "" };
    if (d.id) calls[d.index].id = d.id;
    if (d.function?.name) calls[d.index].name += d.function.name;
    if (d.function?.arguments) calls[d.index].arguments += d.function.arguments;
  }
  if (c.finish_reason) out.streamedFinish = c.finish_reason;
}
out.streamedCalls = Object.values(calls);

// n > 1
const many = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }], n: 3, max_tokens: 6, seed: 11 });
out.n = many.choices.map(c => ({ index: c.index, content: c.message.content, finish: c.finish_reason }));
out.nUsage = many.usage;

// stream_options.include_usage: a last chunk with no choices and the usage
const usageStream = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "Hi" }], max_tokens: 5, seed: 12, stream: true, stream_options: { include_usage: true },
});
out.usageChunks = [];
for await (const chunk of usageStream) out.usageChunks.push({ choices: chunk.choices.length, usage: chunk.usage ?? null, finish: chunk.choices[0]?.finish_reason ?? null });

// completions with logprobs
const completion = await client.completions.create({ model, prompt: "Once", max_tokens: 4, logprobs: 2, seed: 1 });
out.completionLogprobs = completion.choices[0].logprobs;

// embeddings, float and base64 (the client decodes base64 itself)
const emb = await client.embeddings.create({ model, input: ["hello", "world"] });
out.embeddings = emb.data.map(d => d.embedding);
const emb64 = await client.embeddings.create({ model, input: "hello", encoding_format: "base64" });
out.embeddingBase64 = emb64.data[0].embedding;

// an unsupported field is refused by name
try {
  await client.chat.completions.create({ model, messages: [{ role: "user", content: "Hi" }], audio: { voice: "alloy", format: "wav" }, modalities: ["audio"] });
  out.refused = null;
} catch (e) {
  out.refused = { status: e.status, param: e.param ?? e.error?.param ?? null, message: e.message };
}

console.log(JSON.stringify(out));
