/** Where the PGlite worker's code is, and how Node runs it: from the server bundle, or from the TypeScript source. */

/** The worker's file in server/dist, beside main.js (server/build/bundle-options.ts builds both). */
export const WORKER_BUNDLE_NAME = 'pglite-worker';

/** What `new Worker()` is given: a file to run, or (`eval`) the code itself. */
export interface WorkerEntry {
  script: URL | string;
  eval: boolean;
}

/**
 * In the bundle (`npm start`, `npm run dev`) this module is part of dist/main.js, and the worker is the bundle beside
 * it. From the sources (tsx, vitest) this module is a .ts file and so is the worker's: the worker first registers
 * tsx's loader, which on Node 20 neither a worker's `--import tsx` nor the main thread's loader provides (tsx
 * registers itself in the main thread only there).
 */
export function workerEntry(here: string = import.meta.url): WorkerEntry {
  if (!/\.[cm]?ts$/.test(new URL(here).pathname))
    return { script: new URL(`./${WORKER_BUNDLE_NAME}.js`, here), eval: false };
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL('./worker-entry.ts', here).href);
  return { script: `import(${tsx}).then(({ register }) => { register(); return import(${entry}); });`, eval: true };
}
