import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { log } from '../../server/src/log.js';
import { deploy, deployDistDir } from './deploy.js';
import { DeployError } from './deploy-error.js';

const mainLog = log.withTag('deploy');

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const USAGE = 'usage: npm run deploy [-- --dry-run] [--no-build]';

/** `npm run deploy`: builds the client for CHAINLOG_DEPLOY_API_URL and publishes it (see README, "Deploy the client"). */
async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((argument) => argument !== '--dry-run' && argument !== '--no-build');
  if (unknown.length > 0) {
    mainLog.error(`unknown argument ${unknown.join(' ')}\n${USAGE}`);
    return 2;
  }
  const envFile = path.join(PROJECT_ROOT, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  const build = !argv.includes('--no-build');
  try {
    await deploy({
      environment: process.env,
      projectRoot: PROJECT_ROOT,
      distDir: deployDistDir(PROJECT_ROOT, build),
      build,
      dryRun: argv.includes('--dry-run'),
    });
    return 0;
  } catch (error) {
    // A DeployError says all a person needs; anything else is a bug worth its stack.
    if (DeployError.isInstance(error)) mainLog.error(error.message);
    else mainLog.error(error);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
