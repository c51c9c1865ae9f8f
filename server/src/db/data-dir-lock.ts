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
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch (error) {
    const holder = Number(readFileSync(lockFile, 'utf8'));
    if (holder !== process.pid && isAlive(holder)) {
      throw new DataDirLockedError(
        `the embedded database at ${dataDir} is in use by process ${holder} (is \`npm start\` running?); stop it, or set DATABASE_URL to share a PostgreSQL server`,
        { cause: error },
      );
    }
    writeFileSync(lockFile, String(process.pid));
  }
  return () => rmSync(lockFile, { force: true });
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
