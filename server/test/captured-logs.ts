import { listenToLogs } from '../src/log.js';

/** One message a logger logged (whatever the level the tests print at): its type, tag and first argument. */
export interface CapturedLog {
  type: string;
  tag: string;
  message: string;
}

/** Records what every logger logs until `stop()`, for a test whose behaviour is a log line. */
export function captureLogs(): { logs: CapturedLog[]; stop(): void } {
  const logs: CapturedLog[] = [];
  const stop = listenToLogs((logObject) => {
    const [first] = logObject.args;
    logs.push({ type: logObject.type, tag: logObject.tag, message: typeof first === 'string' ? first : String(first) });
  });
  return { logs, stop: () => void stop() };
}
