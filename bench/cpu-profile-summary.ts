/**
 * Where a `node --cpu-prof` profile's time went, within a window of the monotonic clock (bench/log-batches.ts prints
 * the window of its measured calls): busy time by what ran (WASM, PGlite's JS, our code, Node, GC), the functions
 * with the most self time, and the inclusive time of the functions named.
 *   npx tsx bench/cpu-profile-summary.ts <file.cpuprofile> [startMicroseconds endMicroseconds] [name,name,...]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, startArgument, endArgument, namesArgument] = process.argv.slice(2);
if (!file) throw new Error('usage: cpu-profile-summary.ts <file.cpuprofile> [start end] [names]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const windowStart = startArgument ? Number(startArgument) : Number.NEGATIVE_INFINITY;
const windowEnd = endArgument ? Number(endArgument) : Number.POSITIVE_INFINITY;
const inclusiveNames = (namesArgument ?? '').split(',').filter(Boolean);

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

function category(node: ProfileNode): string {
  const { functionName, url } = node.callFrame;
  if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)')
    return functionName;
  if (url.startsWith('wasm://') || functionName.startsWith('$') || functionName.startsWith('wasm-function'))
    return 'WASM (Postgres)';
  if (url.includes('@electric-sql/pglite')) return 'PGlite JS';
  if (url.includes('/server/src/')) return `ours: ${url.slice(url.indexOf('/server/src/') + 12)}`;
  if (url.includes('/bench/')) return 'bench';
  if (url.startsWith('node:')) return 'Node internals';
  const inModules = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return `package ${inModules[1]}`;
  if (url === '') return `native: ${functionName || '(anonymous)'}`;
  return 'other';
}

const selfByCategory = new Map<string, number>();
const selfByFunction = new Map<string, number>();
const inclusive = new Map<string, number>();
let underWasm = 0;
let total = 0;
let time = profile.startTime;
profile.samples.forEach((nodeId, index) => {
  time += profile.timeDeltas[index] ?? 0;
  const duration = profile.timeDeltas[index + 1] ?? 0;
  if (time < windowStart || time > windowEnd) return;
  const node = byId.get(nodeId);
  if (!node) return;
  total += duration;
  const nodeCategory = category(node);
  selfByCategory.set(nodeCategory, (selfByCategory.get(nodeCategory) ?? 0) + duration);
  const name = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber}`;
  selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + duration);
  const seen = new Set<string>();
  let wasm = false;
  for (let current: number | undefined = nodeId; current !== undefined; current = parentOf.get(current)) {
    const frame = byId.get(current);
    if (!frame) break;
    if (category(frame) === 'WASM (Postgres)') wasm = true;
    const frameName = frame.callFrame.functionName;
    if (inclusiveNames.includes(frameName) && !seen.has(frameName)) {
      seen.add(frameName);
      inclusive.set(frameName, (inclusive.get(frameName) ?? 0) + duration);
    }
  }
  if (wasm) underWasm += duration;
});

const idle = selfByCategory.get('(idle)') ?? 0;
const busy = total - idle;
const ms = (microseconds: number) => (microseconds / 1000).toFixed(0).padStart(7);
const share = (microseconds: number) => `${((microseconds / busy) * 100).toFixed(1).padStart(5)} %`;
console.log(`${file}: ${ms(total)} ms sampled, ${ms(busy)} ms busy (not idle)`);
console.log(`  stacks with a WASM frame (Postgres and what it calls): ${ms(underWasm)} ms ${share(underWasm)}`);
console.log('  self time by what ran:');
for (const [name, microseconds] of [...selfByCategory].sort(([, left], [, right]) => right - left)) {
  if (name === '(idle)') continue;
  if (microseconds / busy < 0.003) continue;
  console.log(`    ${ms(microseconds)} ms ${share(microseconds)}  ${name}`);
}
console.log('  functions with the most self time:');
for (const [name, microseconds] of [...selfByFunction].sort(([, left], [, right]) => right - left).slice(0, 25)) {
  if (name.startsWith('(idle)')) continue;
  console.log(`    ${ms(microseconds)} ms ${share(microseconds)}  ${name}`);
}
if (inclusive.size > 0) {
  console.log('  inclusive time:');
  for (const name of inclusiveNames)
    console.log(`    ${ms(inclusive.get(name) ?? 0)} ms ${share(inclusive.get(name) ?? 0)}  ${name}`);
}
