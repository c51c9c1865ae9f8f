import { errorMessage } from '../error-message.js';
import { log } from '../log.js';
import { isDatabaseUnreachable } from './connection-errors.js';

const statusLog = log.withTag('db');
/** How often a database that went away is tried again, until it answers. */
export const PROBE_INTERVAL_MS = 500;
/** How long a probe or the health check waits for `select 1` before the database counts as not answering. */
export const ANSWER_TIMEOUT_MS = 2_000;

export interface DatabaseOutage {
  /** When the first failure was seen. */
  since: Date;
  /** The driver's message, for the server log and /healthz: no SQL, no secret (pg never puts the password in it). */
  reason: string;
}

/**
 * Whether the database is reachable, as learned from failures: a connection error, or a check that got no answer in
 * time, marks it down, and from then on a probe (`select 1`) runs every PROBE_INTERVAL_MS until it answers within
 * ANSWER_TIMEOUT_MS. While it is down, procedures answer SERVICE_UNAVAILABLE at once and writers wait for it to come
 * back instead of failing their callers.
 */
export class DatabaseStatus {
  private outage: DatabaseOutage | undefined;
  private waiters = new Set<() => void>();
  private probeTimer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private closed = false;
  private lastRecoveredAt: number | undefined;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly probeIntervalMs = PROBE_INTERVAL_MS,
    private readonly answerTimeoutMs = ANSWER_TIMEOUT_MS,
  ) {}

  isUp(): boolean {
    return this.outage === undefined;
  }

  /** Whether the database was closed: nothing will answer through it again. */
  isClosed(): boolean {
    return this.closed;
  }

  /**
   * How long the database has answered since it last came back, in ms: Infinity when it never went away, 0 while it
   * is down. Others' heartbeats lapse while nobody can write them, so a lapse seen soon after an outage means little.
   */
  upForMs(): number {
    if (this.outage) return 0;
    return this.lastRecoveredAt === undefined ? Number.POSITIVE_INFINITY : Date.now() - this.lastRecoveredAt;
  }

  /** The current outage, or undefined while the database answers. */
  currentOutage(): DatabaseOutage | undefined {
    return this.outage;
  }

  /** Reports an error a statement ended with; returns whether it means the database is unreachable. */
  reportFailure(error: unknown): boolean {
    if (!isDatabaseUnreachable(error)) return false;
    this.markDown(describeFailure(error));
    return true;
  }

  /**
   * Reports a check that got no answer within `waitedMs`. A database that stops answering but keeps its connections
   * open (a stalled network path, a frozen server) raises no error at all: without this, every caller would wait on it.
   */
  reportNoAnswer(waitedMs: number): void {
    this.markDown(`no answer within ${waitedMs} ms`);
  }

  /** Resolves true once the database answers again (at once if it is up), false after `timeoutMs` or on close. */
  waitUntilUp(timeoutMs: number): Promise<boolean> {
    if (this.isUp()) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (up: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve(up);
      };
      const wake = () => done(this.isUp());
      const timer = setTimeout(() => done(false), timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** Stops probing and releases every waiter (with false): the database is being closed. */
  close(): void {
    this.closed = true;
    clearTimeout(this.probeTimer);
    this.wakeAll();
  }

  private markDown(reason: string): void {
    if (this.outage || this.closed) return;
    this.outage = { since: new Date(), reason };
    statusLog.warn(`database unreachable (${reason}); trying again every ${this.probeIntervalMs} ms`);
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    this.probeTimer = setTimeout(() => void this.runProbe(), this.probeIntervalMs);
    // A probe never keeps the process alive on its own.
    this.probeTimer.unref();
  }

  private async runProbe(): Promise<void> {
    if (this.closed || !this.outage) return;
    // One probe at a time: one still waiting on a silent database is waited on again, not joined by another query.
    this.probing ??= this.probe().finally(() => {
      this.probing = undefined;
    });
    const probing = this.probing;
    let timer: NodeJS.Timeout | undefined;
    try {
      const silent = new Promise<'silent'>((resolve) => {
        timer = setTimeout(() => resolve('silent'), this.answerTimeoutMs);
      });
      if ((await Promise.race([probing, silent])) === 'silent') {
        if (!this.closed) this.scheduleProbe();
        return;
      }
    } catch (error) {
      if (this.closed) return;
      // Still down (or a failure that is not about reaching it: keep probing, it is what lets callers go on).
      if (!isDatabaseUnreachable(error)) statusLog.debug('database probe failed', error);
      this.scheduleProbe();
      return;
    } finally {
      clearTimeout(timer);
    }
    const seconds = ((Date.now() - this.outage.since.getTime()) / 1000).toFixed(1);
    this.outage = undefined;
    this.lastRecoveredAt = Date.now();
    statusLog.info(`database reachable again after ${seconds} s`);
    this.wakeAll();
  }

  private wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }
}

/**
 * Runs `work`; when it fails because the database is unreachable, waits (up to `waitMs` in all) for it to come
 * back and runs it again. Only for idempotent work: a statement cut off mid-flight may have committed.
 */
export async function retryWhileUnreachable<T>(
  status: DatabaseStatus,
  waitMs: number,
  work: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!status.reportFailure(error)) throw error;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || !(await status.waitUntilUp(remaining))) throw error;
    }
  }
}

// A refused connection to "localhost" is an AggregateError (one per address tried) whose message is empty.
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return errorMessage(error) || (typeof code === 'string' ? code : 'connection failed');
}
