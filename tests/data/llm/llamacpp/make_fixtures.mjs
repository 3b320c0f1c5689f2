// tests/data/llm/llamacpp/make_fixtures.mjs — llama.cpp's answers on the
// real SmolLM2-135M-Instruct GGUF, for //tests/unit/llm:llamacpp_parity_test.
// Run by hand when the model, the corpus or the prompts change:
//
//   source scripts/env.sh
//   node tests/data/llm/llamacpp/make_fixtures.mjs bench/out/llm/node "$AIA_SMOLLM2_GGUF"
//
// NODE_DIR holds node_modules/node-llama-cpp (npm node-llama-cpp@3.21.1, its
// prebuilt CPU llama.cpp: no compilation; bench/llm_local.sh installs it
// there). Writes, next to this script:
//   tokens.txt   for each text of ../tokenizer/tokenizer_corpus.json (in
//                order): its UTF-8 bytes in hex, a tab, llama.cpp's ids with
//                special-token parsing off and no BOS (our plain encode).
//   prompts.txt  for each prompt below: the user text's UTF-8 in hex, then
//                tab-separated: llama.cpp's greedy next token (the argmax of
//                its logits after the whole ChatML prompt), the runner-up,
//                the logit gap between them, and the prompt's ids (llama.cpp
//                tokenizing the prompt text with special tokens parsed).
// Each file starts with '#' header lines: node-llama-cpp's version,
// llama.cpp's release, the model file's SHA-256.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [nodeDir, modelPath] = process.argv.slice(2);
if (!modelPath) {
    console.error("usage: node make_fixtures.mjs NODE_DIR MODEL.gguf");
    process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const lib = await import(pathToFileURL(join(nodeDir, "node_modules/node-llama-cpp/dist/index.js")).href);
const pkg = JSON.parse(readFileSync(join(nodeDir, "node_modules/node-llama-cpp/package.json"), "utf8"));

// SmolLM2's template (lib/llm/chat.h): its default system message first when
// the conversation does not start with one, then each turn, then the
// assistant's opening.
const SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face";
const chatml = (user) =>
    `<|im_start|>system\n${SYSTEM}<|im_end|>\n` +
    `<|im_start|>user\n${user}<|im_end|>\n` +
    `<|im_start|>assistant\n`;

// Questions, code, lists, other languages, numbers, whitespace.
const PROMPTS = [
    "What is the capital of France?",
    "Hi!",
    "Explain photosynthesis in one sentence.",
    "Write a Python function that returns the factorial of n.",
    "def add(a, b):\n    return a + b\n\nWhat does this code do?",
    "List three primary colors.",
    "1. apples\n2. pears\n3.",
    "Translate to French: Good morning, how are you?",
    "¿Cuál es la montaña más alta del mundo?",
    "Wie viele Tage hat eine Woche?",
    "你好，请介绍一下你自己。",
    "What is 17 * 23?",
    "Summarize: The quick brown fox jumps over the lazy dog.",
    "#include <stdio.h>\nint main(void) {\n    printf(\"hello\\n\");\n}\nFix the bug.",
    "Give me a haiku about autumn.",
    "What year did the Second World War end?",
    "Is 97 a prime number? Answer yes or no.",
    "Name a famous painting by Leonardo da Vinci.",
    "   lots   of   spaces\t\tand tabs   ",
    "SELECT name FROM users WHERE age > 30; -- explain this query",
];

const hex = (s) => Buffer.from(s, "utf8").toString("hex");
const sha256 = createHash("sha256").update(readFileSync(modelPath)).digest("hex");

const llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error, maxThreads: 2 });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const header = [
    `# made by tests/data/llm/llamacpp/make_fixtures.mjs`,
    `# node-llama-cpp ${pkg.version}; llama.cpp ${llama.llamaCppRelease?.repo ?? "?"} release ${llama.llamaCppRelease?.release ?? "?"}; build ${llama.buildType}, cpu`,
    `# model SmolLM2-135M-Instruct.Q4_1.gguf sha256 ${sha256}`,
];

// ---- tokens.txt ----
const corpus = JSON.parse(readFileSync(join(here, "../tokenizer/tokenizer_corpus.json"), "utf8"));
const tokLines = [...header, "# per line: text as UTF-8 hex, tab, ids (special tokens not parsed, no BOS)"];
for (const text of corpus) tokLines.push(`${hex(text)}\t${[...model.tokenize(text, false)].join(" ")}`);
writeFileSync(join(here, "tokens.txt"), tokLines.join("\n") + "\n");

// ---- prompts.txt ----
// One context; each prompt on a cleared sequence, evaluated as one batch.
// The last prompt token asks for the next token's probabilities at
// temperature 1 (softmax of the raw logits, no top-k/top-p/min-p), so the
// top-2 logit gap is ln(p1 / p2).
const context = await model.createContext({ contextSize: 512, batchSize: 512, threads: { ideal: 2, min: 2 }, sequences: 1 });
const seq = context.getSequence();
const promptLines = [...header,
    "# per line: user text as UTF-8 hex, tab, greedy next id, runner-up id, top-2 logit gap, prompt ids (ChatML, SmolLM2's default system message)"];
for (const user of PROMPTS) {
    await seq.clearHistory();
    const ids = [...model.tokenize(chatml(user), true)];
    const input = ids.slice(0, -1);
    input.push([ids[ids.length - 1], {
        generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } },
    }]);
    const out = await seq.controlledEvaluate(input);
    const probs = out[ids.length - 1]?.next?.probabilities;
    if (!probs || probs.size < 2) throw new Error(`no probabilities for prompt ${JSON.stringify(user)}`);
    const top = [...probs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 2);
    const gap = Math.log(top[0][1] / top[1][1]);
    promptLines.push(`${hex(user)}\t${top[0][0]}\t${top[1][0]}\t${gap.toFixed(6)}\t${ids.join(" ")}`);
    console.error(`${JSON.stringify(user).slice(0, 40)}: next ${top[0][0]} ${JSON.stringify(model.detokenize([top[0][0]]))}, runner-up ${top[1][0]}, gap ${gap.toFixed(4)}`);
}
writeFileSync(join(here, "prompts.txt"), promptLines.join("\n") + "\n");
await context.dispose();
await model.dispose();
await llama.dispose();
