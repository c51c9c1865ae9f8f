import type { FakeReply, FakeResponder, RecordedRequest } from './fake-provider.js';

/** Every fault the injector can answer with instead of the real answer; each is as likely as the others. */
export const FAULT_KINDS = [
  'http 500',
  'http 429 with retry-after',
  'http 429 without retry-after',
  'connection reset',
  'timeout',
  'non-JSON 200',
  'schema-violating JSON',
  'refusal',
  'truncation',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultInjector {
  /** Give to `fake.respondWith`. */
  respond: FakeResponder;
  /** Faults answered so far, by kind (every kind present, 0 when none). */
  readonly injected: ReadonlyMap<FaultKind, number>;
  /** Requests answered with `answer`. */
  readonly answered: number;
}

export interface FaultInjectorOptions {
  /** Same seed, same requests: same faults, whatever order concurrent requests arrive in. */
  seed: number;
  /** Share of requests answered with a fault, 0 to 1. */
  faultRate: number;
  /** The real answer to a request. */
  answer: (request: RecordedRequest) => FakeReply;
}

const PROXY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

/**
 * A responder that answers `faultRate` of requests with a fault. Whether a request gets one, and which, is drawn
 * from the seed, the request body and how many times that same body came before (an SDK retry sends the same body
 * again, so a retry draws afresh): reproducible under any concurrency, as long as the calls' bodies differ.
 */
export function createFaultInjector(options: FaultInjectorOptions): FaultInjector {
  const injected = new Map<FaultKind, number>(FAULT_KINDS.map((kind) => [kind, 0]));
  const seen = new Map<string, number>();
  let answered = 0;
  return {
    injected,
    get answered() {
      return answered;
    },
    respond(request) {
      const body = JSON.stringify(request.body) ?? '';
      const occurrence = seen.get(body) ?? 0;
      seen.set(body, occurrence + 1);
      const random = mulberry32(hash32(`${options.seed}:${occurrence}:${body}`));
      if (random() >= options.faultRate) {
        answered += 1;
        return options.answer(request);
      }
      const kind = FAULT_KINDS[Math.floor(random() * FAULT_KINDS.length)] ?? 'http 500';
      injected.set(kind, (injected.get(kind) ?? 0) + 1);
      return faultReply(kind);
    },
  };
}

function faultReply(kind: FaultKind): FakeReply {
  switch (kind) {
    case 'http 500':
      return { kind: 'status', status: 500, message: 'fake provider: injected server error' };
    case 'http 429 with retry-after':
      // Whole seconds, as most servers send it; the SDKs honour values under 60 s.
      return {
        kind: 'status',
        status: 429,
        message: 'fake provider: injected rate limit',
        headers: { 'retry-after': '1' },
      };
    case 'http 429 without retry-after':
      return { kind: 'status', status: 429, message: 'fake provider: injected rate limit' };
    case 'connection reset':
      return { kind: 'reset' };
    case 'timeout':
      return { kind: 'hang' };
    case 'non-JSON 200':
      return { kind: 'raw', body: PROXY_PAGE };
    case 'schema-violating JSON':
      return { kind: 'json', value: { answer: 'not what the schema asked for' } };
    case 'refusal':
      return { kind: 'refusal', message: 'I cannot help with that request.' };
    case 'truncation':
      return { kind: 'truncated', text: '{"intent":"order_st' };
  }
}

/** FNV-1a over UTF-16 code units. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function mulberry32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
