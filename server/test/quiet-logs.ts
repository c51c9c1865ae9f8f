import { setLogLevel } from '../src/log.js';

// Tests assert on behaviour, not on log lines: keep the runner's output to what failed.
setLogLevel('error');
