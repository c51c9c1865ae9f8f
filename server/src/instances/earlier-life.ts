import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../db/client.js';
import { findInstanceLife, type InstanceLife } from '../db/queries/instances.js';
import { log } from '../log.js';

const lifeLog = log.withTag('instance');

/** Another live process uses this process's CHAINLOG_INSTANCE_ID: starting would end its work as a dead life's. */
export class InstanceIdInUseError extends Error {
  override name = 'InstanceIdInUseError';
}

export interface EarlierLifeOptions {
  leaseMs: number;
  heartbeatMs: number;
  /** How often the row is read again while waiting (tests shorten it). */
  pollMs?: number;
}

/**
 * Before a process starts under a configured instance id, the life that used the id last must be over: stopped, its
 * heartbeat older than the lease, or a process of this host that no longer runs. Otherwise it waits for that lease to
 * lapse, and fails if the heartbeat is renewed meanwhile: then another live process has the id.
 */
export async function waitForEarlierLife(db: Db, id: string, options: EarlierLifeOptions): Promise<void> {
  const first = await findInstanceLife(db, id);
  if (!first || isOver(first, options.leaseMs) || isGoneFromThisHost(first)) return;
  const waitMs = options.leaseMs - first.heartbeat_age_ms + options.heartbeatMs;
  lifeLog.warn(
    `instance id ${id} was heard ${first.heartbeat_age_ms} ms ago from pid ${first.pid} on ${first.hostname}; waiting up to ${waitMs} ms for its lease to lapse`,
  );
  // The heartbeat only ages unless it is renewed, so this ends within the wait.
  for (;;) {
    await sleep(options.pollMs ?? Math.min(options.heartbeatMs, 250));
    const now = await findInstanceLife(db, id);
    if (!now || isOver(now, options.leaseMs)) return;
    if (now.life_id !== first.life_id || now.heartbeat_at.getTime() > first.heartbeat_at.getTime()) break;
  }
  throw new InstanceIdInUseError(
    `CHAINLOG_INSTANCE_ID ${id} is in use by a live process (pid ${first.pid} on ${first.hostname}, which renewed its heartbeat): give each process its own id`,
  );
}

function isOver(life: InstanceLife, leaseMs: number): boolean {
  return life.stopped || life.heartbeat_age_ms >= leaseMs;
}

/** A restart on the same host: the earlier life's pid is gone, or is this process's own (a container's pid 1). */
function isGoneFromThisHost(life: InstanceLife): boolean {
  if (life.hostname !== hostname()) return false;
  if (life.pid === process.pid) return true;
  try {
    process.kill(life.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
