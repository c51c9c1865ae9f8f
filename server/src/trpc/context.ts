import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import type { Db } from '../db/client.js';
import type { DatabaseKind } from '../db/dialect.js';
import type { AppLlm } from '../tasks/index.js';

/** What every procedure may use; built once per process and shared by every request. */
export interface AppDependencies {
  db: Db;
  databaseKind: DatabaseKind;
  llm: AppLlm;
  startedAt: Date;
}

/** The context without a transport: tests build it directly and call procedures through `createCaller`. */
export function createInnerContext(dependencies: AppDependencies) {
  return { ...dependencies };
}

export type Context = ReturnType<typeof createInnerContext>;

/** One context per HTTP request, and one per WebSocket connection. */
export function createContextFactory(dependencies: AppDependencies) {
  return function createContext(_options: CreateHTTPContextOptions | CreateWSSContextFnOptions): Context {
    return createInnerContext(dependencies);
  };
}
