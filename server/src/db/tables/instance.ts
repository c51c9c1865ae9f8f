import type { ColumnType, Selectable } from 'kysely';

export type InstanceRole = 'server' | 'cli';

/** A process that writes rows: the server, or one `npm run ask`. Its heartbeat says it is alive. */
export interface InstanceTable {
  id: string;
  role: InstanceRole;
  hostname: string;
  pid: number;
  /** This life of the id: set at each start, so a second process under the same id is told apart. */
  life_id: string | null;
  // Set again when a process restarts under the same configured id (registerInstance).
  started_at: ColumnType<Date, Date | undefined, Date>;
  heartbeat_at: ColumnType<Date, Date | undefined, Date>;
  stopped_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type InstanceRow = Selectable<InstanceTable>;
