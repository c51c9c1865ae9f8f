import { spawn } from 'node:child_process';
import { DeployError } from './deploy-error.js';

/** How much of a failed build's output the error carries. */
const OUTPUT_TAIL_CHARS = 4_000;

export interface BuildOptions {
  /** The repository's root, where `npm run build` runs. */
  projectRoot: string;
  outDir: string;
  apiUrl: string | undefined;
  /** The environment the build runs in (PATH, npm's settings). */
  environment: NodeJS.ProcessEnv;
}

/**
 * Builds the client as `npm run build` does (Vite, with the precompressed copies) into `outDir`, with `apiUrl` baked
 * in as VITE_API_URL. Unset, VITE_API_URL is set empty rather than left to the caller's environment or a client/.env
 * file: the bundle then calls `/trpc` on its own origin, as it does when the server serves it.
 * @throws DeployError (build) with the end of the build's output.
 */
export async function buildClient({ projectRoot, outDir, apiUrl, environment }: BuildOptions): Promise<void> {
  const args = ['run', 'build', '--workspace', '@chainlog/client', '--', '--outDir', outDir, '--emptyOutDir'];
  // NODE_ENV=production whatever the caller's (vitest sets `test`): Vite would otherwise bundle React's development build.
  const env = { ...environment, VITE_API_URL: apiUrl ?? '', NODE_ENV: 'production' };
  const child = spawn('npm', args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).catch((error: unknown) => {
    throw new DeployError(
      'build',
      `cannot deploy: cannot run npm to build the client: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  });
  if (code !== 0)
    throw new DeployError('build', `cannot deploy: the client build failed (exit ${code}):\n${output.trim()}`);
}
