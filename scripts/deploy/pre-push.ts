import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { log } from '../../server/src/log.js';
import { deploy, deployDistDir } from './deploy.js';
import { parseHookConfig } from './deploy-env.js';
import { DeployError } from './deploy-error.js';
import { decidePrePush, parsePushedRefs } from './pre-push-decision.js';

const hookLog = log.withTag('pre-push');

/** The paths whose uncommitted changes would make the built bundle differ from the pushed commit. */
const BUNDLE_INPUTS = ['client', 'shared', 'package-lock.json'];

function git(root: string, args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
}

/**
 * The pre-push hook (installed by simple-git-hooks on `npm install`): git runs it in the work tree's root with the
 * pushed refs on stdin; a non-zero exit stops the push. Deploys when the push updates CHAINLOG_DEPLOY_BRANCH and
 * CHAINLOG_DEPLOY_BUCKET is set; otherwise says in one line why it does nothing.
 */
async function main(): Promise<number> {
  const root = git(process.cwd(), ['rev-parse', '--show-toplevel']);
  // The same .env `npm run deploy` reads, so a bucket set there counts here too.
  const envFile = path.join(root, '.env');
  if (existsSync(envFile)) process.loadEnvFile(envFile);
  try {
    const config = parseHookConfig(process.env);
    const decision = decidePrePush({
      refs: parsePushedRefs(readFileSync(0, 'utf8')),
      branch: config.branch,
      bucketSet: config.bucketSet,
      headSha: git(root, ['rev-parse', 'HEAD']),
      changedBundleFiles: git(root, ['status', '--porcelain', '--untracked-files=no', '--', ...BUNDLE_INPUTS])
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.slice(3)),
    });
    if (decision.action === 'skip') {
      hookLog.info(`no deploy: ${decision.reason}`);
      return 0;
    }
    if (decision.action === 'refuse') {
      hookLog.error(`push stopped: ${decision.reason}`);
      return 1;
    }
    hookLog.info(`deploying ${decision.sha.slice(0, 8)} before the push`);
    await deploy({
      environment: process.env,
      projectRoot: root,
      distDir: deployDistDir(root, true),
      build: true,
      dryRun: false,
    });
    return 0;
  } catch (error) {
    hookLog.error(
      `push stopped: ${DeployError.isInstance(error) ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    return 1;
  }
}

process.exitCode = await main();
