#!/usr/bin/env node
// Offline lint of Neo4j Cypher with Neo4j's own parser and semantic analysis.
//
// Uses @neo4j-cypher/language-support (the library behind Neo4j's VS Code extension and
// Query/Workspace editors): an ANTLR grammar of Neo4j Cypher plus Neo4j's Java front end
// (parser + semantic analysis) compiled to JavaScript. No server is needed. Pinned to
// 2.0.0-next.20, the newest release that supports Node 20 (later ones need Node 22 or 24).
// Set up with `npm ci --prefix tools/cypher-lint` from the repository root.
//
// Usage
//   node lint.mjs < statements.json        JSON on stdin: [{"name": ..., "text": ...}, ...]
//                                         or {"statements": [...], "cypherVersion": "CYPHER 5",
//                                             "schema": {"labels": [...],
//                                                        "relationshipTypes": [...]}}
//   node lint.mjs a.cypher b.cypher        lint files (name = path)
//   options: --no-cache    do not read or write the result cache
//            --jobs=N      threads for statements not in the cache (default: CPUs, at most 4)
//            --pretty      indent the JSON output
//
// Output (stdout): JSON array [{"name", "errors": [{"line", "col", "severity", "message"}],
// "notes": [...same shape...]}], one entry per input statement in input order; line and col
// are 1-based. Exit status: 0 when no statement has errors, 1 when any has, 2 on bad input,
// usage or an internal failure. Notes never fail.
//
// What counts as a problem (every one fails the lint):
//   - syntax errors (Neo4j 5 grammar and Neo4j's parser);
//   - semantic errors from Neo4j's semantic analysis (undefined variables, type mismatches,
//     removed syntax such as exists(n.prop), UNION column mismatches...);
//   - functions and procedures that are not Neo4j built-ins (checked against the built-in
//     registry bundled with the library: APOC/GDS entries are dropped on purpose, the project
//     must not depend on plugins; LadybugDB-only functions such as cast() fail here);
//   - deprecation warnings (id(), CALL { ... } without a scope clause: write CALL (x) { ... }
//     or CALL () { ... }, Neo4j 5.23+);
//   - node labels / relationship types outside the declared schema (when "schema" is given);
//     labels a CREATE/MERGE/SET introduces are not reported by the library;
//   - a text holding more than one statement, or no statement at all.
// Parameters ($x) are declared from each text, so "parameter not defined" never fires.
// Performance hints (cartesian product, unbounded shortest path) do not fail: they go to
// "notes" (the usual relationship-upsert idiom MATCH (a {id: row.src}), (b {id: row.dst})
// is a cartesian product of two unique lookups).
//
// Results are cached under node_modules/.cache/cypher-lint keyed by the library version, this
// script, the schema, the Cypher version and the text (semantic analysis costs ~0.1 s a query).

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
// A crash must not look like "lint errors found" (exit 1): report it as a tool failure.
function crash(err) {
  process.stderr.write(`cypher-lint: internal error: ${err?.stack ?? err}\n`);
  process.exit(2);
}
if (isMainThread) process.on('uncaughtException', crash);
const require = createRequire(import.meta.url);
// The package's ESM build uses extension-less relative imports that Node cannot resolve;
// its CommonJS bundle loads fine.
const ls = require('@neo4j-cypher/language-support');
const libVersion = JSON.parse(
  readFileSync(join(here, 'node_modules', '@neo4j-cypher', 'language-support', 'package.json')),
).version;

const MAX_CACHE_ENTRIES = 20000;
// Below this many statements per thread, a worker's start-up (~1 s) costs more than it saves.
const MIN_PER_WORKER = 20;
const PLUGIN_PREFIX = /^(apoc|gds)\./i;

function builtinSchema() {
  const mock = ls.testData.mockSchema;
  const filter = (scoped, keep) =>
    Object.fromEntries(
      Object.entries(scoped).map(([version, registry]) => [
        version,
        Object.fromEntries(Object.entries(registry).filter(([name, entry]) => keep(name, entry))),
      ]),
    );
  return {
    functions: filter(mock.functions, (name, fn) => fn.isBuiltIn && !PLUGIN_PREFIX.test(name)),
    procedures: filter(mock.procedures, (name) => !PLUGIN_PREFIX.test(name)),
  };
}

function fail(message) {
  process.stderr.write(`cypher-lint: ${message}\n`);
  process.exit(2);
}

function readInput(args) {
  const files = args.filter((a) => !a.startsWith('--'));
  if (files.length > 0) {
    return { statements: files.map((path) => ({ name: path, text: readFileSync(path, 'utf8') })) };
  }
  const raw = readFileSync(0, 'utf8');
  let data;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    fail(`stdin is not JSON: ${e.message}`);
  }
  const input = Array.isArray(data) ? { statements: data } : data;
  if (!input || !Array.isArray(input.statements)) {
    fail('expected a JSON array of {name, text} or an object with a "statements" array');
  }
  for (const s of input.statements) {
    if (!s || typeof s.name !== 'string' || typeof s.text !== 'string') {
      fail('every statement needs a string "name" and a string "text"');
    }
  }
  return input;
}

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };
// Neo4j's performance notifications: advice, not defects.
const ADVISORY = [/cartesian product/i, /shortest path with an unbounded pattern/i];

function lintOne(text, baseSchema) {
  const statements = ls.parseStatementsStrs(text).filter((s) => s.trim().length > 0);
  const errors = [];
  const notes = [];
  if (statements.length === 0 || text.trim().length === 0) {
    const message = 'no Cypher statement in the text';
    errors.push({ line: 1, col: 1, severity: 'error', message });
    return { errors, notes };
  }
  if (statements.length > 1) {
    errors.push({
      line: 1,
      col: 1,
      severity: 'error',
      message:
        `the text holds ${statements.length} statements separated by ';' ` +
        '(a named query must be exactly one statement)',
    });
  }
  const params = ls.parseParameters(text, false);
  const schema = { ...baseSchema, parameters: Object.fromEntries(params.map((p) => [p, null])) };
  const seen = new Set();
  for (const d of ls.lintCypherQuery(text, schema, false)) {
    const e = {
      line: d.range.start.line + 1,
      col: d.range.start.character + 1,
      severity: SEVERITY[d.severity] ?? 'error',
      message: d.message,
    };
    const key = `${e.line}:${e.col}:${e.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      const advisory = e.severity !== 'error' && ADVISORY.some((re) => re.test(e.message));
      (advisory ? notes : errors).push(e);
    }
  }
  return { errors, notes };
}

// Lint texts on `jobs` threads (this one included); results in input order.
async function lintMany(texts, baseSchema, jobs) {
  const threads = Math.max(1, Math.min(jobs, Math.floor(texts.length / MIN_PER_WORKER)));
  const shares = Array.from({ length: threads }, () => []);
  texts.forEach((_, i) => shares[i % threads].push(i));
  const out = new Array(texts.length);
  const workers = shares.slice(1).map(
    (idxs) =>
      new Promise((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), {
          workerData: { texts: idxs.map((i) => texts[i]), baseSchema },
        });
        w.once('message', (found) => {
          found.forEach((f, k) => {
            out[idxs[k]] = f;
          });
          resolve();
        });
        w.once('error', reject);
        w.once('exit', (code) => {
          if (code !== 0) reject(new Error(`lint worker exited with status ${code}`));
        });
      }),
  );
  for (const i of shares[0]) out[i] = lintOne(texts[i], baseSchema);
  await Promise.all(workers);
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  let jobs = Math.min(availableParallelism(), 4);
  for (const a of args) {
    if (a.startsWith('--jobs=')) {
      jobs = Number.parseInt(a.slice('--jobs='.length), 10);
      if (!(jobs >= 1)) fail(`bad ${a}: expected a positive integer`);
    } else if (a.startsWith('--') && !['--no-cache', '--pretty'].includes(a)) {
      fail(`unknown option ${a}`);
    }
  }
  const useCache = !args.includes('--no-cache');
  const input = readInput(args);
  const cypherVersion = input.cypherVersion ?? 'CYPHER 5';
  const userSchema = input.schema ?? {};
  const baseSchema = { ...builtinSchema(), defaultLanguage: cypherVersion };
  if (Array.isArray(userSchema.labels) && Array.isArray(userSchema.relationshipTypes)) {
    baseSchema.labels = userSchema.labels;
    baseSchema.relationshipTypes = userSchema.relationshipTypes;
  }

  const script = readFileSync(fileURLToPath(import.meta.url));
  const context = createHash('sha256')
    .update(
      JSON.stringify([
        libVersion,
        cypherVersion,
        baseSchema.labels ?? null,
        baseSchema.relationshipTypes ?? null,
      ]),
    )
    .update(script)
    .digest('hex');
  const cacheDir = join(here, 'node_modules', '.cache', 'cypher-lint');
  const cacheFile = join(cacheDir, `${context.slice(0, 16)}.json`);
  let cache = {};
  if (useCache) {
    try {
      cache = JSON.parse(readFileSync(cacheFile, 'utf8'));
    } catch {
      cache = {}; // no cache yet, or a torn one: lint everything
    }
    if (Object.keys(cache).length > MAX_CACHE_ENTRIES) cache = {};
  }

  const keys = input.statements.map(({ text }) => createHash('sha256').update(text).digest('hex'));
  const cached = (key) => Array.isArray(cache[key]?.errors) && Array.isArray(cache[key]?.notes);
  const todo = new Map(); // key -> text, each distinct text once
  input.statements.forEach(({ text }, i) => {
    if (!cached(keys[i])) todo.set(keys[i], text);
  });
  const found = await lintMany([...todo.values()], baseSchema, jobs);
  [...todo.keys()].forEach((key, i) => {
    cache[key] = found[i];
  });
  const results = input.statements.map(({ name }, i) => ({
    name,
    errors: cache[keys[i]].errors,
    notes: cache[keys[i]].notes,
  }));

  if (useCache && todo.size > 0) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache));
    renameSync(tmp, cacheFile);
  }
  process.stdout.write(JSON.stringify(results, null, args.includes('--pretty') ? 2 : 0) + '\n');
  process.exitCode = results.some((r) => r.errors.length > 0) ? 1 : 0;
}

if (isMainThread) {
  main().catch(crash);
} else {
  parentPort.postMessage(workerData.texts.map((text) => lintOne(text, workerData.baseSchema)));
}
