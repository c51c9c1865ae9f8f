/** Prints the bench's tables, and writes them with the machine they came from to bench/results.json. */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Stats } from './load.js';

const DATABASE_KINDS = ['pglite', 'pglite-in-process', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

/** Every way of calling, measured in the same rounds. The ask variants are per database, except `noWrites`. */
export const PEERS = ['raw', 'parse', 'generateObject'] as const;
const ASK_VARIANTS = ['ask', 'askAsync', 'roundTrip'] as const;
type AskVariant = (typeof ASK_VARIANTS)[number];
export type WayName = (typeof PEERS)[number] | 'noWrites' | `${DatabaseKind} ${AskVariant}`;

export interface Scenario {
  concurrency: number;
  delayMs: number;
  callsPerRound: number;
}

export interface ScenarioResult extends Scenario {
  stats: Partial<Record<WayName, Stats>>;
}

const PEER_ROWS: { way: WayName; label: string }[] = [
  { way: 'raw', label: 'openai chat.completions.create (raw)' },
  { way: 'parse', label: 'openai .parse + zodResponseFormat' },
  { way: 'generateObject', label: 'AI SDK generateObject' },
  { way: 'postgres ask', label: 'Chainlog ask(), PostgreSQL' },
  { way: 'pglite ask', label: 'Chainlog ask(), PGlite (worker thread)' },
  { way: 'pglite-in-process ask', label: 'Chainlog ask(), PGlite in-process' },
];

const DATABASE_LABELS: Record<DatabaseKind, string> = {
  pglite: 'PGlite',
  'pglite-in-process': 'PGlite in-process',
  postgres: 'PostgreSQL',
};
// The way and database columns of the tables below.
const LABEL_WIDTH = 56;
const KIND_WIDTH = 17;
const VARIANT_LABELS: Record<AskVariant, string> = {
  ask: 'as is',
  askAsync: 'CHAINLOG_LOG_COMMIT=async',
  roundTrip: 'each log statement a select 1',
};

/** The peers first, then the other ways measured in the same rounds. */
function rowsOf(stats: ScenarioResult['stats']): { way: WayName; label: string }[] {
  const rows = PEER_ROWS.filter(({ way }) => stats[way]);
  if (stats.noWrites) rows.push({ way: 'noWrites', label: 'ask(), log writes that do nothing' });
  for (const kind of DATABASE_KINDS) {
    for (const variant of ASK_VARIANTS) {
      const way: WayName = `${kind} ${variant}`;
      if (variant !== 'ask' && stats[way])
        rows.push({ way, label: `ask(), ${DATABASE_LABELS[kind]}, ${VARIANT_LABELS[variant]}` });
    }
  }
  return rows;
}

const ms = (value: number) => `${value.toFixed(2)}ms`;

function cells(values: string[], widths: number[]): string {
  return values.map((value, index) => value.padStart(widths[index] ?? 0)).join(' ');
}

function ratio(stats: Stats, raw: Stats): number {
  return stats.throughput / raw.throughput;
}

/** One block per scenario: each peer and ask() beside the raw call, with CPU per call. */
export function printPeers(results: ScenarioResult[], rounds: number): void {
  console.log(
    '\npeers: the same schema and prompt, interleaved in the same rounds; CPU = ms per call of this process (GC: its',
  );
  console.log(
    "main thread's garbage collection pauses, part of it) + the PostgreSQL backends of its connections (from /proc)",
  );
  for (const result of results) {
    const raw = result.stats.raw;
    if (!raw) continue;
    console.log(
      `\nfake at ${result.delayMs} ms, ${result.concurrency} at a time, ${rounds} x ${result.callsPerRound} calls`,
    );
    console.log(`${'way'.padEnd(LABEL_WIDTH)}  calls/s  ratio  added p50  added p99    CPU  (GC)  + backends`);
    for (const { way, label } of rowsOf(result.stats)) {
      const stats = result.stats[way];
      if (!stats) continue;
      const backend = stats.backendCpuMsPerCall === undefined ? '-' : stats.backendCpuMsPerCall.toFixed(2);
      const values = [
        stats.throughput.toFixed(0),
        ratio(stats, raw).toFixed(3),
        ms(stats.p50 - raw.p50),
        ms(stats.p99 - raw.p99),
        stats.cpuMsPerCall.toFixed(2),
        `(${stats.gcMsPerCall.toFixed(2)})`,
        backend,
      ];
      console.log(`${label.padEnd(LABEL_WIDTH)} ${cells(values, [8, 6, 10, 10, 6, 6, 11])}`);
    }
  }
}

/** ask() beside the raw call, per database: the table `npm run bench` has always printed. */
export function printAskRows(results: ScenarioResult[], kinds: DatabaseKind[]): void {
  console.log("\nask() vs raw openai SDK; loop busy: how much of the wall time this process's event loop ran code");
  console.log(
    `${'db'.padEnd(KIND_WIDTH)}  conc  delay   raw/s    ask/s   ratio   raw p50  added p50  raw p99  added p99  loop busy raw/ask`,
  );
  for (const kind of kinds) {
    for (const { concurrency, delayMs, stats } of results) {
      const { raw } = stats;
      const ask = stats[`${kind} ask`];
      if (!raw || !ask) continue;
      const values = [
        String(concurrency),
        `${delayMs}ms`,
        raw.throughput.toFixed(0),
        ask.throughput.toFixed(0),
        ratio(ask, raw).toFixed(3),
        ms(raw.p50),
        ms(ask.p50 - raw.p50),
        ms(raw.p99),
        ms(ask.p99 - raw.p99),
        `${(raw.loopBusy * 100).toFixed(0)}%/${(ask.loopBusy * 100).toFixed(0)}%`,
      ];
      console.log(`${kind.padEnd(KIND_WIDTH)} ${cells(values, [5, 6, 8, 8, 7, 9, 10, 8, 10, 18])}`);
    }
  }
}

/** Ratio and added p50 of each ask() variant, measured in the same rounds. */
export function printBreakdown(results: ScenarioResult[], kinds: DatabaseKind[]): void {
  console.log(
    '\nwhere the added time goes: ask() with log writes that do nothing, with each log statement a `select 1`, with',
  );
  console.log('CHAINLOG_LOG_COMMIT=async (PostgreSQL), and as is (sync, the default)');
  console.log(
    `${'db'.padEnd(KIND_WIDTH)}  conc  delay   no writes: ratio  added p50   round trip: ratio  added p50   async log: ratio  added p50   ask(): ratio  added p50`,
  );
  for (const kind of kinds) {
    for (const { concurrency, delayMs, stats } of results) {
      const { raw } = stats;
      if (!raw) continue;
      const columns = (way: WayName) => {
        const measured = stats[way];
        return measured ? [ratio(measured, raw).toFixed(3), ms(measured.p50 - raw.p50)] : ['-', '-'];
      };
      const values = [
        String(concurrency),
        `${delayMs}ms`,
        ...columns('noWrites'),
        ...columns(`${kind} roundTrip`),
        ...columns(`${kind} askAsync`),
        ...columns(`${kind} ask`),
      ];
      console.log(`${kind.padEnd(KIND_WIDTH)} ${cells(values, [5, 6, 17, 10, 19, 10, 19, 10, 14, 10])}`);
    }
  }
}

/** The peers table as Markdown, for the README: one row per way, the four scenarios as column groups. */
export function peersMarkdown(results: ScenarioResult[]): string {
  const header = results.map((result) => `${result.delayMs} ms, c=${result.concurrency}: ratio / added p50 / CPU`);
  const lines = [`| way | ${header.join(' | ')} |`, `|---|${results.map(() => '---|').join('')}`];
  for (const { way, label } of PEER_ROWS) {
    const columns = results.map(({ stats }) => {
      const measured = stats[way];
      const raw = stats.raw;
      if (!measured || !raw) return '-';
      const backend =
        measured.backendCpuMsPerCall === undefined || !way.startsWith('postgres')
          ? ''
          : ` + ${measured.backendCpuMsPerCall.toFixed(2)}`;
      return `${ratio(measured, raw).toFixed(2)} / ${(measured.p50 - raw.p50).toFixed(2)} ms / ${measured.cpuMsPerCall.toFixed(2)}${backend}`;
    });
    lines.push(`| ${label} | ${columns.join(' | ')} |`);
  }
  return lines.join('\n');
}

function packageVersion(name: string): string {
  const file = new URL(`../node_modules/${name}/package.json`, import.meta.url);
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string'
    ? parsed.version
    : 'unknown';
}

export interface RunInfo {
  rounds: number;
  databases: DatabaseKind[];
  startedAt: Date;
  loadAverageAtStart: number[];
}

/** Writes every way's figures, per scenario, with the machine and versions they came from. */
export function writeResults(file: URL, results: ScenarioResult[], run: RunInfo): void {
  const cpus = os.cpus();
  const round = (value: number | undefined, digits = 3) => (value === undefined ? null : Number(value.toFixed(digits)));
  const document = {
    machine: {
      cores: cpus.length,
      cpuModel: cpus[0]?.model ?? 'unknown',
      memoryGiB: round(os.totalmem() / 2 ** 30, 1),
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      date: run.startedAt.toISOString(),
      // Other work on the machine shows here: a quiet 2-core machine stays well under 2.
      loadAverageAtStart: run.loadAverageAtStart.map((value) => round(value, 2)),
      loadAverageAtEnd: os.loadavg().map((value) => round(value, 2)),
    },
    versions: Object.fromEntries(
      ['openai', 'ai', '@ai-sdk/openai', 'zod', 'pg', '@electric-sql/pglite'].map((name) => [
        name,
        packageVersion(name),
      ]),
    ),
    rounds: run.rounds,
    databases: run.databases,
    scenarios: results.map(({ concurrency, delayMs, callsPerRound, stats }) => ({
      concurrency,
      delayMs,
      callsPerRound,
      ways: Object.fromEntries(
        Object.entries(stats).map(([way, measured]) => [
          way,
          {
            callsPerSecond: round(measured.throughput, 1),
            ratioToRaw: stats.raw ? round(ratio(measured, stats.raw)) : null,
            p50Ms: round(measured.p50),
            p99Ms: round(measured.p99),
            addedP50Ms: stats.raw ? round(measured.p50 - stats.raw.p50) : null,
            addedP99Ms: stats.raw ? round(measured.p99 - stats.raw.p99) : null,
            cpuMsPerCall: round(measured.cpuMsPerCall),
            backendCpuMsPerCall: round(measured.backendCpuMsPerCall),
            gcMsPerCall: round(measured.gcMsPerCall),
            loopBusy: round(measured.loopBusy),
          },
        ]),
      ),
    })),
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}
