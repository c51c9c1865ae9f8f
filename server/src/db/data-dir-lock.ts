import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/**
 * PGlite is one process per data directory: a second one would corrupt it. Takes a pid lock file,
 * replacing it when the process that wrote it is gone. Returns the release function.
 * @throws DataDirLockedError naming the process that holds the directory.
 */
export function lockDataDir(dataDir: string): () => void {
  const lockFile = path.join(dataDir, 'chainlog.pid');
  if (!tryCreate(lockFile)) {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (holder !== process.pid && isAlive(holder)) {
      throw new DataDirLockedError(
        `the embedded database at ${dataDir} is in use by process ${holder} (is \`npm start\` running?); stop it, or set DATABASE_URL to share a PostgreSQL server`,
      );
    }
    // A stale lock: remove it and race for a new one, so two starters cannot both take it over.
    rmSync(lockFile, { force: true });
    if (!tryCreate(lockFile))
      throw new DataDirLockedError(`another process took the embedded database at ${dataDir} just now`);
  }
  return () => rmSync(lockFile, { force: true });
}

function tryCreate(lockFile: string): boolean {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
