import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, type Plugin } from 'esbuild';
import { SERVER_BUNDLE, serverBundleOptions } from './bundle-options.js';

// `npm run dev`'s server: esbuild rebuilds the bundle on a change (tens of ms: no per-file TypeScript transform at
// start, unlike tsx), then the running server is stopped gracefully and the new bundle started.
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The server's own port shows a page pointing to Vite's instead of the last `npm run build` (stale while developing).
const DEV_CLIENT_DIR = path.join(REPO_ROOT, 'server/dist/dev-client');
mkdirSync(DEV_CLIENT_DIR, { recursive: true });
writeFileSync(
  path.join(DEV_CLIENT_DIR, 'index.html'),
  '<!doctype html><meta charset="utf-8"><title>Chainlog API (npm run dev)</title>' +
    '<p>This port serves the API for <code>npm run dev</code>. The app, with hot reload, is on the Vite URL that ' +
    '<code>npm run dev</code> printed (<a href="http://localhost:5173/">http://localhost:5173/</a> unless that port was taken).</p>',
);
let server: ChildProcess | undefined;
let restarts: Promise<void> = Promise.resolve();

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function start(): ChildProcess {
  // The repository's root, as with `npm start`: `.env` and the default data directory are read from there.
  // In a process group of its own: Ctrl-C reaches this process only, which forwards one SIGTERM (a second signal
  // would make the server skip its graceful stop).
  return spawn(process.execPath, ['--enable-source-maps', SERVER_BUNDLE], {
    cwd: REPO_ROOT,
    env: { CHAINLOG_CLIENT_DIR: DEV_CLIENT_DIR, ...process.env },
    stdio: 'inherit',
    detached: true,
  });
}

const restartOnRebuild: Plugin = {
  name: 'restart-server',
  setup(build) {
    build.onEnd((result) => {
      // A failed build keeps the last server running; esbuild has printed the errors.
      if (result.errors.length > 0) return;
      restarts = restarts.then(async () => {
        if (server) await stop(server);
        server = start();
      });
    });
  },
};

const watcher = await context({ ...serverBundleOptions, plugins: [restartOnRebuild] });
await watcher.watch();

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      await watcher.dispose();
      await restarts;
      if (server) await stop(server);
      process.exit(0);
    })();
  });
}
