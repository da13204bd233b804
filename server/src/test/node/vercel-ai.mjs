// The Vercel AI SDK (ai + @ai-sdk/openai-compatible) against Rill: generateObject with a zod schema,
// and streamText. Prints one JSON object with what it got; the Java test (ClientsTest) checks it.
// Usage: node vercel-ai.mjs BASE_URL MODEL
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateObject, streamText } from "ai";
import { z } from "zod";

const [baseURL, model] = process.argv.slice(2);
const rill = createOpenAICompatible({ name: "rill", baseURL, supportsStructuredOutputs: true });
const out = {};

const person = z.object({
  name: z.string().max(20),
  age: z.number().int(),
  friends: z.array(z.object({ name: z.string().max(10), close: z.boolean() })).max(2),
});
const { object, finishReason, usage } = await generateObject({
  model: rill.chatModel(model), schema: person, prompt: "Invent a person.", maxOutputTokens: 400, seed: 3, maxRetries: 0,
});
out.object = object;
out.objectFinish = finishReason;
out.objectUsage = usage;

const result = streamText({ model: rill.chatModel(model), prompt: "Tell me a story.", maxOutputTokens: 12, seed: 4, maxRetries: 0 });
out.parts = [];
for await (const part of result.textStream) out.parts.push(part);
out.text = await result.text;
out.streamFinish = await result.finishReason;
out.streamUsage = await result.usage;

console.log(JSON.stringify(out));
