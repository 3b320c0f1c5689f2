// bench/llm/peer.mjs — llama.cpp's side of bench/llm_local.sh, through the
// prebuilt llama.cpp that npm node-llama-cpp@3.21.1 ships (CPU build, no
// compilation: build "never", gpu false).
//
//   node peer.mjs NODE_DIR MODEL.gguf IDS.json THREADS GEN_TOKENS REPEATS
//
// NODE_DIR holds node_modules/node-llama-cpp (bench/out/llm/node). IDS.json
// is aia-llm-bench's output: its prompt_ids are evaluated here as they are,
// so both engines see the same tokens. Each repeat, on a fresh sequence
// (history cleared):
//   prompt      evaluateWithoutGeneratingNewTokens(prompt ids): one batch
//               (batchSize >= the prompt), as llama.cpp's prompt processing;
//   generation  evaluate(prompt ids, temperature 0 = greedy) yields the
//               token after the prompt, then one token per single-token
//               decode; the time from that first yield to GEN_TOKENS more
//               is GEN_TOKENS decodes. End-of-generation tokens are yielded
//               and do not stop it (the same work every repeat).
// Prints one JSON object like aia-llm-bench's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [nodeDir, modelPath, idsPath, threadsArg, genArg, repeatsArg] = process.argv.slice(2);
if (!repeatsArg) {
    console.error("usage: node peer.mjs NODE_DIR MODEL.gguf IDS.json THREADS GEN_TOKENS REPEATS");
    process.exit(2);
}
const threads = Number(threadsArg), genTokens = Number(genArg), repeats = Number(repeatsArg);
const lib = await import(pathToFileURL(join(nodeDir, "node_modules/node-llama-cpp/dist/index.js")).href);
const prompt = JSON.parse(readFileSync(idsPath, "utf8")).prompt_ids;

const llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error, maxThreads: threads });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({
    contextSize: 1024,
    batchSize: 512,
    threads: { ideal: threads, min: threads },
    sequences: 1,
});
const seq = context.getSequence();

const now = () => Number(process.hrtime.bigint()) / 1e9;
const promptS = [], genS = [];
let greedy = [];
for (let r = 0; r < repeats; r++) {
    await seq.clearHistory();
    let t0 = now();
    await seq.evaluateWithoutGeneratingNewTokens(prompt);
    promptS.push(now() - t0);

    await seq.clearHistory();
    const ids = [];
    let tFirst = 0;
    for await (const tok of seq.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
        ids.push(tok);
        if (ids.length === 1) tFirst = now();
        if (ids.length === genTokens + 1) break;
    }
    genS.push(now() - tFirst);
    greedy = ids;
}

const med = (v) => { const s = [...v].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const pt = promptS.map((s) => prompt.length / s), gt = genS.map((s) => genTokens / s);
const round = (x) => Math.round(x * 100) / 100;
const pkg = JSON.parse(readFileSync(join(nodeDir, "node_modules/node-llama-cpp/package.json"), "utf8"));
console.log(JSON.stringify({
    engine: "llama.cpp",
    via: `node-llama-cpp@${pkg.version}`,
    llama_cpp_release: llama.llamaCppRelease?.release ?? null,
    build_type: llama.gpu === false ? "cpu" : String(llama.gpu),
    threads: context.currentThreads ?? threads,
    prompt_tokens: prompt.length,
    gen_tokens: genTokens,
    repeats,
    prompt_s: promptS,
    gen_s: genS,
    prompt_tps_median: round(med(pt)),
    prompt_tps_best: round(Math.max(...pt)),
    gen_tps_median: round(med(gt)),
    gen_tps_best: round(Math.max(...gt)),
    greedy_ids: greedy,
}));
await context.dispose();
await model.dispose();
await llama.dispose();
