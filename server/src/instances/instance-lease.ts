import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { INTERRUPTED, chainFinished } from '../chains/chain-events.js';
import type { ChainJobs } from '../chains/jobs/chain-jobs.js';
import type { Db } from '../db/client.js';
import type { DatabaseStatus } from '../db/database-status.js';
import { type StoredChainEventRow, finishChain } from '../db/queries/chains.js';
import {
  type DeadInstanceRule,
  deleteLongGoneInstances,
  endPendingRowsOfDeadInstances,
  listRunningChainsOfDeadInstances,
  lockAbandonedChainJobs,
  markInstanceStopped,
  registerInstance,
  touchInstance,
} from '../db/queries/instances.js';
import type { InstanceRole } from '../db/tables/instance.js';
import { log } from '../log.js';
import { waitForEarlierLife } from './earlier-life.js';

const leaseLog = log.withTag('instance');

export interface InstanceLeaseOptions {
  db: Db;
  /** The chain queue: a dead instance's running chains are handed back to it, to be resumed. */
  jobs: ChainJobs;
  status: DatabaseStatus;
  id: string;
  role: InstanceRole;
  /** How often the heartbeat is renewed, and dead instances' leftovers are looked for. */
  heartbeatMs: number;
  /** How old a heartbeat may be before its instance counts as dead. */
  leaseMs: number;
  /** This process is the only one the database can have (PGlite): every other instance is dead. */
  exclusive: boolean;
}

export interface SweepResult {
  endedRows: number;
  /** Handed back to the queue, to be resumed by whichever instance takes them. */
  resumedChains: string[];
  /** Ended as interrupted: they had no job to resume them by. */
  interruptedChains: string[];
}

/**
 * This process's registration in the instance table: a heartbeat every `heartbeatMs`, and on each beat the
 * leftovers of dead instances taken care of: their pending log rows ended as InterruptedError, their running chains
 * handed back to the queue to be resumed (or, without a job, ended as interrupted). Only dead instances' leftovers:
 * several processes can share one database.
 */
export class InstanceLease {
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private chainFinishedListener: ((event: StoredChainEventRow) => void) | undefined;
  private takenOverListener: (() => void) | undefined;
  /** This process's life of the id (instance.life_id). */
  readonly lifeId = randomUUID();
  private readonly rule: DeadInstanceRule;
  private readonly startedAt = Date.now();

  private constructor(private readonly options: InstanceLeaseOptions) {
    this.rule = { self: options.id, leaseMs: options.leaseMs, exclusive: options.exclusive };
  }

  /** Registers the instance and ends what dead instances left behind, before this one serves anything. */
  static async start(options: InstanceLeaseOptions): Promise<InstanceLease> {
    const lease = new InstanceLease(options);
    // PGlite's data directory is locked to one process: no other life of the id can be running.
    if (!options.exclusive) await waitForEarlierLife(options.db, options.id, options);
    await registerInstance(options.db, {
      id: options.id,
      role: options.role,
      hostname: hostname(),
      pid: process.pid,
      life_id: lease.lifeId,
    });
    await deleteLongGoneInstances(options.db);
    // Nothing of this life is written yet: what its id holds is an earlier life's (a restart under a fixed id).
    const swept = await lease.sweepWhere({ ...lease.rule, selfStarting: true });
    if (swept.endedRows > 0)
      leaseLog.warn(`${swept.endedRows} log row(s) left pending by a stopped process ended as interrupted`);
    if (swept.resumedChains.length > 0)
      leaseLog.warn(
        `${swept.resumedChains.length} chain(s) left running by a stopped process handed back to be resumed`,
      );
    if (swept.interruptedChains.length > 0)
      leaseLog.warn(`${swept.interruptedChains.length} chain(s) left running by a stopped process marked interrupted`);
    lease.timer = setInterval(() => lease.beat(), options.heartbeatMs);
    lease.timer.unref();
    return lease;
  }

  get id(): string {
    return this.options.id;
  }

  /** How old a heartbeat may be before its instance counts as dead (CHAINLOG_INSTANCE_LEASE_MS). */
  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /** Chains this instance interrupts (another's, found dead) are announced through this listener. */
  onChainFinished(listener: (event: StoredChainEventRow) => void): void {
    this.chainFinishedListener = listener;
  }

  /**
   * Called once if another process starts under this id (after this one went unheard for a lease): it takes this
   * one's chains, so this one must stop. The heartbeat has stopped by then.
   */
  onTakenOver(listener: () => void): void {
    this.takenOverListener = listener;
  }

  /** Ends dead instances' pending rows and running chains now. */
  sweep(): Promise<SweepResult> {
    return this.sweepWhere(this.rule);
  }

  private async sweepWhere(rule: DeadInstanceRule): Promise<SweepResult> {
    const { db } = this.options;
    // Rows first: a resumed step numbers its next attempt after the ones that were cut off.
    const endedRows = await endPendingRowsOfDeadInstances(db, rule);
    const { jobs } = this.options;
    const resumedChains = await db.transaction().execute(async (transaction) => {
      const chainIds = await lockAbandonedChainJobs(transaction, rule, jobs.schema);
      await jobs.handBack(chainIds, transaction);
      return chainIds;
    });
    const interruptedChains: string[] = [];
    for (const chainId of await listRunningChainsOfDeadInstances(db, rule, jobs.schema)) {
      const event = await finishChain(db, chainId, chainFinished('interrupted', INTERRUPTED));
      if (!event) continue;
      interruptedChains.push(chainId);
      this.chainFinishedListener?.(event);
    }
    return { endedRows, resumedChains, interruptedChains };
  }

  /** Stops the heartbeat and records that this instance stopped, so others need not wait for its lease to lapse. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    try {
      await markInstanceStopped(this.options.db, this.options.id, this.lifeId);
    } catch (error) {
      // Not fatal: the lease lapses on its own.
      if (!this.options.status.reportFailure(error))
        leaseLog.warn('could not record that this instance stopped', error);
    }
  }

  private beat(): void {
    // A beat that is still waiting on a slow database is not stacked on.
    if (this.beating || !this.options.status.isUp()) return;
    this.beating = this.renew().finally(() => {
      this.beating = undefined;
    });
  }

  private async renew(): Promise<void> {
    try {
      if (!(await touchInstance(this.options.db, this.options.id, this.lifeId))) {
        clearInterval(this.timer);
        leaseLog.error(`another process took instance id ${this.options.id} over after this one went unheard`);
        this.takenOverListener?.();
        return;
      }
      // After an outage every instance's heartbeat looks old until each has had a lease to renew it: a live
      // instance must not be taken for dead because the database could not hear it. A process that just started
      // may have been started by that outage, so it waits a lease too.
      const heardFor = Math.min(this.options.status.upForMs(), Date.now() - this.startedAt);
      if (heardFor < this.options.leaseMs) return;
      const swept = await this.sweep();
      if (swept.endedRows > 0 || swept.resumedChains.length > 0 || swept.interruptedChains.length > 0) {
        leaseLog.warn(
          `took care of what a dead instance left: ${swept.endedRows} pending log row(s) ended, ${swept.resumedChains.length} chain(s) handed back to be resumed, ${swept.interruptedChains.length} interrupted`,
        );
      }
    } catch (error) {
      if (!this.options.status.reportFailure(error)) leaseLog.warn('instance heartbeat failed', error);
    }
  }
}
