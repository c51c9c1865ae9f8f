// `npm start`: plain JavaScript, so it runs where `npm prune --omit=dev` left neither tsx, turbo nor TypeScript.
// With the devDependencies here (a clone), it first builds what changed (turbo's cache makes that quick), quietly:
// turbo's output is shown only when the build fails. Then it runs the built server in this process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER_BUNDLE = fileURLToPath(new URL('./dist/main.js', import.meta.url));
const TURBO = fileURLToPath(new URL('../node_modules/turbo/bin/turbo', import.meta.url));

if (existsSync(TURBO)) {
  const build = spawnSync(process.execPath, [TURBO, 'run', 'build', '--output-logs=errors-only'], {
    cwd: REPO_ROOT,
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout}${build.stderr}${build.error ? `${build.error.message}\n` : ''}`);
    process.stderr.write('npm start: the build failed (above)\n');
    process.exit(1);
  }
} else if (!existsSync(SERVER_BUNDLE)) {
  process.stderr.write(
    'npm start: server/dist/main.js is missing: run `npm run build` before `npm prune --omit=dev`\n',
  );
  process.exit(1);
}

process.setSourceMapsEnabled(true);
await import(new URL('./dist/main.js', import.meta.url).href);
