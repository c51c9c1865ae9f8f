import type { InstanceRole } from '../db/tables/instance.js';
import type { Db } from '../db/client.js';
import { countInstancesByState, listInstancesWithAge } from '../db/queries/instances.js';

/** At most this many instances are listed: the table holds a day of them, `npm run ask` processes included. */
export const MAX_LISTED_INSTANCES = 100;

/**
 * `alive`: its heartbeat is younger than the lease; `lapsed`: older, so others take it for dead and end what it
 * left running; `stopped`: it said so on shutdown.
 */
export type InstanceState = 'alive' | 'lapsed' | 'stopped';

export interface InstanceStatus {
  id: string;
  role: InstanceRole;
  /** Operational details: shown to those who pass the token (or where none is set), never on an open /healthz. */
  hostname: string;
  pid: number;
  startedAt: string;
  heartbeatAt: string;
  /** By the database's clock, so hosts whose clocks differ are judged alike. */
  heartbeatAgeMs: number;
  state: InstanceState;
  /** Whether it is the process that answered. */
  self: boolean;
}

export interface InstanceCounts {
  alive: number;
  lapsed: number;
  stopped: number;
}

/** The registered instances (those that did not stop first, then newest start), each with its state by the lease. */
export async function listInstanceStatuses(
  db: Db,
  options: { leaseMs: number; self: string | null },
): Promise<InstanceStatus[]> {
  const rows = await listInstancesWithAge(db, MAX_LISTED_INSTANCES);
  return rows.map((row) => ({
    id: row.id,
    role: row.role,
    hostname: row.hostname,
    pid: row.pid,
    startedAt: row.started_at.toISOString(),
    heartbeatAt: row.heartbeat_at.toISOString(),
    heartbeatAgeMs: row.heartbeat_age_ms,
    state: row.stopped_at !== null ? 'stopped' : row.heartbeat_age_ms > options.leaseMs ? 'lapsed' : 'alive',
    self: row.id === options.self,
  }));
}

/** How many instances are in each state, over every registered one (the list stops at MAX_LISTED_INSTANCES). */
export function countInstances(db: Db, leaseMs: number): Promise<InstanceCounts> {
  return countInstancesByState(db, leaseMs);
}
