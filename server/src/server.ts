import { type IncomingMessage, type RequestListener, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessMode } from '@chainlog/shared';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { WebSocketServer } from 'ws';
import { answerClientError } from './http/client-error.js';
import { ConnectionCounter, createWebSocketConnectionLimit } from './http/connection-limit.js';
import { closeConnectionsWithoutParams } from './http/connection-params-deadline.js';
import { DEFAULT_LIMITS, type Limits } from './http/limits.js';
import { answerMalformedPath, isMalformedPath } from './http/malformed-path.js';
import { answerUnsupportedMethod, isTrpcMethod } from './http/trpc-method.js';
import { createContinueCheck, createRequestSizeLimit } from './http/request-size-limit.js';
import { createStreamLimit } from './http/stream-limit.js';
import { refuseUnreadableUpgradeUrl } from './http/upgrade-url.js';
import { DEFAULT_KEEP_ALIVE, type KeepAliveOptions, keepWebSocketsAlive } from './http/websocket-keep-alive.js';
import { isWebSocketProtocolError } from './http/websocket-protocol-error.js';
import { type AccessOptions, LOOPBACK_ACCESS, createAccessControl, isExportPath } from './http/access-control.js';
import { log } from './log.js';
import { appRouter } from './routers/app.js';
import { readChainQueueHealth } from './services/chain-queue-health.js';
import { readHealth } from './services/health.js';
import {
  type InstanceCounts,
  type InstanceStatus,
  countInstances,
  listInstanceStatuses,
} from './services/instances.js';
import { createExportHandler } from './export/export-handler.js';
import { createStaticHandler } from './static-files.js';
import { type AppDependencies, createContextFactory } from './trpc/context.js';
import { retryAfterHeader } from './trpc/retry-after.js';
import { requireConnectionToken } from './trpc/require-token.js';
import { sharedValueEncoder } from './trpc/shared-encoding.js';
import { applyWebSocketHandler } from './trpc/websocket-handler.js';

const serverLog = log.withTag('server');
const ABORTED_CALLS_GRACE_MS = 2_000;
const TRPC_BASE_PATH = '/trpc/';

export interface ServerOptions {
  /** The built client to serve on the same port; nothing is served when absent. */
  clientDir?: string | undefined;
  /** Bounds on bodies, batches, WebSocket messages, connections and subscriptions; DEFAULT_LIMITS when absent. */
  limits?: Limits | undefined;
  /** Token, Host and Origin rules (README "Access"); loopback only, no token, when absent. */
  access?: AccessOptions | undefined;
  /** When silent WebSockets are sent PING and dropped; DEFAULT_KEEP_ALIVE (tRPC's timings) when absent. */
  keepAlive?: KeepAliveOptions | undefined;
}

export interface ChainlogServer {
  listen(port: number, host: string): Promise<string>;
  /** Stops accepting, tells WebSocket clients to reconnect elsewhere, lets in-flight calls finish within `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

/** One node:http server: /healthz, tRPC over HTTP at /trpc, tRPC over WebSocket on the same port, and the client. */
export function createChainlogServer(dependencies: AppDependencies, options: ServerOptions = {}): ChainlogServer {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const createContext = createContextFactory(dependencies, limits);
  const access = createAccessControl(options.access ?? LOOPBACK_ACCESS);
  const trpcHandler = createHTTPHandler({
    router: appRouter,
    createContext,
    basePath: TRPC_BASE_PATH,
    onError: logProcedureError,
    // tRPC's own count stops taking a chunked body at the limit; the middleware refuses a declared one before.
    maxBodySize: limits.maxBodyBytes,
    middleware: createRequestSizeLimit(limits),
    responseMeta: (meta) => {
      const headers = retryAfterHeader(meta).headers ?? new Headers();
      // The Access-Control-Allow-Origin set by access.admit depends on the Origin: caches must key on it.
      headers.set('vary', 'Origin');
      return { headers };
    },
  });
  // WebSockets and SSE subscriptions are an address's long-lived connections, counted together.
  const connections = new ConnectionCounter(limits.maxConnectionsPerAddress);
  const limitStreams = createStreamLimit(appRouter, TRPC_BASE_PATH, limits, connections);
  const serveStatic = options.clientDir ? createStaticHandler(options.clientDir) : undefined;
  const answerExport = createExportHandler(dependencies, { maxExports: limits.maxExports });

  const handleRequest: RequestListener = (request, response) => {
    const pathname = (request.url ?? '/').split('?')[0] ?? '/';
    if (pathname === '/healthz') {
      access.addOpenHeaders(request, response);
      return void answerHealth(dependencies, response, access.mode, access.isTrusted(request));
    }
    if (!access.admit(request, response, pathname)) return;
    if (pathname === '/trpc' || pathname.startsWith('/trpc/')) {
      if (!isTrpcMethod(request.method)) return answerUnsupportedMethod(response, request.method);
      if (isMalformedPath(pathname)) return answerMalformedPath(response, pathname);
      return void (limitStreams(request, response) && trpcHandler(request, response));
    }
    if (isExportPath(pathname))
      return void answerExport(request, response, new URL(request.url ?? '/', 'http://localhost'));
    if (serveStatic?.(request, response)) return;
    response
      .writeHead(404, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: `no route for ${pathname}` }));
  };
  const httpServer = createServer(handleRequest);
  httpServer.on('checkContinue', createContinueCheck(limits.maxBodyBytes, handleRequest));
  httpServer.on('clientError', answerClientError);
  const limitConnections = createWebSocketConnectionLimit(limits, connections);
  // A message over maxPayload closes its socket with 1009 (message too big). The URL tRPC will read, then the door,
  // are checked before the per-address count, so a refused upgrade takes no place.
  const wss = new WebSocketServer({
    server: httpServer,
    maxPayload: limits.maxWsMessageBytes,
    verifyClient: (info, callback) =>
      refuseUnreadableUpgradeUrl(info, callback, () =>
        access.verifyUpgrade(info, (admitted, ...refusal) =>
          admitted ? limitConnections(info, callback) : callback(admitted, ...refusal),
        ),
      ),
  });
  closeConnectionsWithoutParams(wss, limits.connectionParamsTimeoutMs);
  // ws re-emits the HTTP server's errors (EADDRINUSE); listen() reports them, so they must not go unhandled here.
  wss.on('error', (error) => serverLog.debug('WebSocket server error', error));
  const stopKeepAlive = keepWebSocketsAlive(wss, options.keepAlive ?? DEFAULT_KEEP_ALIVE, limits.maxWsBufferedBytes);
  const wsHandler = applyWebSocketHandler({
    wss,
    router: appRouter,
    createContext: requireConnectionToken(createContext, access.tokenCheck),
    onError: logProcedureError,
    // A chain event bound for many subscribers is serialised once (see TrackedSteps), not once per socket.
    encoder: sharedValueEncoder,
    // Thousands may follow one chain: each is pushed its events, with nothing waiting per subscriber between them.
    pushedPaths: ['chains.events'],
    maxBufferedBytes: limits.maxWsBufferedBytes,
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const { address, port: boundPort } = httpServer.address() as AddressInfo;
          resolve(`http://${address.includes(':') ? `[${address}]` : address}:${boundPort}`);
        });
      });
    },
    async close(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      stopKeepAlive();
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeIdleConnections();
      // Tell WebSocket clients to go elsewhere now, but close them only after the drain, so answers in flight arrive.
      wsHandler.broadcastReconnectNotification();
      const [chainsDrained, callsDrained] = await Promise.all([
        dependencies.chains.drain(timeoutMs),
        dependencies.llm.drain(timeoutMs),
      ]);
      const drained = chainsDrained && callsDrained;
      if (!drained) {
        serverLog.warn(`${dependencies.llm.inFlight()} LLM call(s) still running after ${timeoutMs} ms; aborting them`);
        // Aborted calls still write their rows as errors: give them a moment, so no row is left pending.
        dependencies.llm.abortAll('the server is shutting down');
        // The chains of those calls then record their failure: wait for that too, before the database closes.
        await Promise.all([
          dependencies.llm.drain(ABORTED_CALLS_GRACE_MS),
          dependencies.chains.drain(ABORTED_CALLS_GRACE_MS),
        ]);
      }
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      httpServer.closeIdleConnections();
      // closeAllConnections() skips upgraded sockets: a WebSocket client that never answers the close frame would
      // otherwise hold the close for ws's own 30 s close timeout.
      const timer = setTimeout(
        () => {
          httpServer.closeAllConnections();
          for (const client of wss.clients) client.terminate();
        },
        Math.max(0, deadline - Date.now()),
      );
      await closed;
      clearTimeout(timer);
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * /healthz is open (load balancers probe it by IP): it counts the instances alive, lapsed and stopped, and says whether
 * this instance can read the chain queue; the instances' list (host names and pids) and why the queue cannot be read,
 * only to a request that could call /trpc (an allowed Host, and the token when one is set). A queue that cannot be read
 * leaves the status `ok` (200): the instance still serves every read, and its runner tries again by itself. `auth`
 * says whether /trpc asks for a token, so the web app knows to ask for it; the token itself never appears.
 */
async function answerHealth(
  dependencies: AppDependencies,
  response: ServerResponse<IncomingMessage>,
  auth: AccessMode,
  trusted: boolean,
): Promise<void> {
  try {
    const health = await readHealth(dependencies);
    const [instances, chains] =
      health.status === 'ok'
        ? await Promise.all([readInstances(dependencies, trusted), readChainQueueHealth(dependencies.chains, trusted)])
        : [];
    response
      .writeHead(health.status === 'ok' ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ...health, ...instances, ...(chains && { chains }), auth }));
  } catch (error) {
    serverLog.error('health check failed', error);
    response.writeHead(503, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        status: 'unavailable',
        database: dependencies.databaseKind,
        auth,
        problem: 'the health check failed (see the server log)',
      }),
    );
  }
}

/**
 * The instances' counts, and their list for a trusted request; nothing when they cannot be read: the database
 * answered the health check, which is what a probe asks.
 */
async function readInstances(
  dependencies: AppDependencies,
  trusted: boolean,
): Promise<{ instanceCounts: InstanceCounts; instances?: InstanceStatus[] } | undefined> {
  const { db, instanceLeaseMs: leaseMs, instanceId: self } = dependencies;
  try {
    const [instanceCounts, instances] = await Promise.all([
      countInstances(db, leaseMs),
      trusted ? listInstanceStatuses(db, { leaseMs, self }) : undefined,
    ]);
    return instances ? { instanceCounts, instances } : { instanceCounts };
  } catch (error) {
    serverLog.warn('could not read the instances for /healthz', error);
    return undefined;
  }
}

function logProcedureError({ error, path }: { error: Error & { code?: string }; path?: string | undefined }): void {
  if (error.code === 'INTERNAL_SERVER_ERROR' && !isWebSocketProtocolError(error.cause))
    serverLog.error(`procedure ${path ?? '(unknown)'} failed`, error);
  // An event stored by a newer server (unreadableEvent): this one serves part of the chains wrongly until upgraded.
  else if (error.code === 'NOT_IMPLEMENTED') serverLog.warn(`procedure ${path ?? '(unknown)'}: ${error.message}`);
  else serverLog.debug(`procedure ${path ?? '(unknown)'}: ${error.message}`);
}
