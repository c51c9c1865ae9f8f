import { type ConsolaReporter, type LogObject, createConsola } from 'consola';

const LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 } as const;
export type LogLevelName = keyof typeof LEVELS;
export const LOG_LEVEL_NAMES = Object.keys(LEVELS) as [LogLevelName, ...LogLevelName[]];

// withTag() copies a consola instance's level, streams and reporters, so loggers tagged at import time would miss
// later settings (and reporters added later). They all hold the one filtering reporter, which reads the current
// settings instead.
const output: { level: number; stdout: NodeJS.WriteStream | undefined } = { level: LEVELS.info, stdout: undefined };
const formatters = createConsola().options.reporters;
const listeners = new Set<(logObject: LogObject) => void>();
const settingsReporter: ConsolaReporter = {
  log(logObject, context) {
    for (const listener of listeners) listener(logObject);
    if (logObject.level > output.level) return;
    const options = output.stdout ? { ...context.options, stdout: output.stdout } : context.options;
    for (const formatter of formatters) formatter.log(logObject, { options });
  },
};

/** The root logger; modules take `log.withTag('<module>')`. */
export const log = createConsola({ level: LEVELS.trace, reporters: [settingsReporter] });

/** Whether messages of this level are printed: lets a hot path skip building a message nobody will see. */
export function logsAt(level: LogLevelName): boolean {
  return LEVELS[level] <= output.level;
}

export function setLogLevel(level: LogLevelName): void {
  output.level = LEVELS[level];
}

/** Sends what consola would print on stdout elsewhere (the CLI keeps stdout for its JSON answer). */
export function redirectLogStdout(stream: NodeJS.WriteStream): void {
  output.stdout = stream;
}

/**
 * Hears every message of every logger, whatever the level printed, until the returned function is called: for a test
 * whose behaviour is a log line (a warning said once per outage).
 */
export function listenToLogs(listener: (logObject: LogObject) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
