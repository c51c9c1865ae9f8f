import { ChainRunner } from './chains/chain-runner.js';
import { ChainEventBus } from './chains/event-bus.js';
import type { DatabaseHandle } from './db/client.js';
import type { AppLlm } from './tasks/index.js';
import type { AppDependencies } from './trpc/context.js';

/** The process-wide services every procedure shares, around an open database and the LLM layer. */
export function createAppDependencies(options: {
  database: DatabaseHandle;
  llm: AppLlm;
  maxRunningChains: number;
  startedAt?: Date;
}): AppDependencies {
  const { database, llm } = options;
  const bus = new ChainEventBus();
  return {
    db: database.db,
    databaseKind: database.kind,
    llm,
    bus,
    chains: new ChainRunner({ db: database.db, bus, maxRunning: options.maxRunningChains }),
    startedAt: options.startedAt ?? new Date(),
  };
}
