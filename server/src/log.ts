import { createConsola } from 'consola';

/** The root logger; modules take `log.withTag('<module>')`. Level comes from env.ts via `setLogLevel`. */
export const log = createConsola({ level: 3 });

const LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 } as const;
export type LogLevelName = keyof typeof LEVELS;
export const LOG_LEVEL_NAMES = Object.keys(LEVELS) as [LogLevelName, ...LogLevelName[]];

export function setLogLevel(level: LogLevelName): void {
  log.level = LEVELS[level];
}
