import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppDependencies } from './app-dependencies.js';
import { openApp } from './app.js';
import { EnvError, loadDotEnvFile, parseEnv } from './env.js';
import { limitsFromEnv } from './http/limits.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { accessOptionsFromEnv } from './http/access-control.js';
import { exposureProblem } from './http/exposure.js';
import { hostLookupProblem, listenProblem } from './http/listen-problem.js';
import { DatabaseOpenError } from './db/open-problem.js';
import { InstanceIdInUseError } from './instances/earlier-life.js';
import { ConfigFileError } from './llm/config-file.js';
import { OfflineNotAllowedError } from './llm/offline-policy.js';
import { TaskRouteError } from './llm/task-routes.js';
import { log, setLogLevel } from './log.js';
import { createChainlogServer } from './server.js';
import { createShutdownHandler } from './shutdown.js';

const mainLog = log.withTag('main');
const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../client/dist', import.meta.url));

async function main(): Promise<void> {
  loadDotEnvFile();
  const env = parseEnv();
  setLogLevel(env.CHAINLOG_LOG_LEVEL);
  const hostProblem = await hostLookupProblem(env.HOST);
  if (hostProblem) throw new StartupError(hostProblem);
  const exposure = exposureProblem(env.HOST, env.CHAINLOG_TOKEN);
  if (exposure) throw new StartupError(exposure);
  const app = await openApp(env, 'server');
  const limits = limitsFromEnv(env);
  const dependencies = await createAppDependencies({
    database: app.database,
    llm: app.llm,
    instance: app.instance,
    jobs: app.jobs,
    maxRunningChains: env.CHAINLOG_MAX_RUNNING_CHAINS,
    unknownChainGraceMs: env.CHAINLOG_UNKNOWN_CHAIN_GRACE_MS,
    maxWaitingChains: limits.maxWaitingChains,
    maxSubmissionsPerMinute: limits.maxSubmissionsPerMinute,
  });
  const clientDir = env.CHAINLOG_CLIENT_DIR ?? DEFAULT_CLIENT_DIR;
  if (!existsSync(path.join(clientDir, 'index.html')))
    mainLog.warn(
      `${env.CHAINLOG_CLIENT_DIR ? `CHAINLOG_CLIENT_DIR=${clientDir}` : clientDir} holds no index.html: serving the API only (npm run build makes client/dist)`,
    );
  const server = createChainlogServer(dependencies, {
    clientDir,
    limits,
    access: accessOptionsFromEnv(env),
  });
  let url: string;
  try {
    url = await server.listen(env.PORT, env.HOST);
  } catch (error) {
    await app.close();
    const problem = listenProblem(error, env.HOST, env.PORT);
    throw problem ? new StartupError(problem) : error;
  }
  const stop = createShutdownHandler({
    async close() {
      await server.close(env.CHAINLOG_SHUTDOWN_TIMEOUT_MS);
      await app.close();
    },
    drainTimeoutMs: env.CHAINLOG_SHUTDOWN_TIMEOUT_MS,
    exit: (code) => process.exit(code),
  });
  app.instance.onTakenOver(() => stop('instance id taken over', 1));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Only once the handlers are in place: a supervisor that signals as soon as it reads this line gets a graceful stop.
  mainLog.success(
    `Chainlog listening on ${url} (HTTP and WebSocket, ${env.CHAINLOG_TOKEN ? 'token required' : 'no token'}), database: ${app.database.kind}`,
  );
}

/** A start-up failure whose message says everything: printed without a stack. */
class StartupError extends Error {
  override name = 'StartupError';
}

main().catch((error: unknown) => {
  if (
    error instanceof EnvError ||
    error instanceof ConfigFileError ||
    error instanceof StartupError ||
    error instanceof DataDirLockedError ||
    error instanceof DatabaseOpenError ||
    error instanceof InstanceIdInUseError ||
    error instanceof OfflineNotAllowedError ||
    error instanceof TaskRouteError
  ) {
    mainLog.error(error.message);
  } else mainLog.error('start-up failed', error);
  process.exit(1);
});
