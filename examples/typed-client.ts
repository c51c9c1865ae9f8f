/**
 * A typed Chainlog client in Node: submits a support message, follows its triage chain live over a WebSocket,
 * printing each step as it finishes, then prints the structured results.
 *
 *   node --import tsx examples/typed-client.ts [server URL]
 *
 * The URL comes from the first argument, else CHAINLOG_URL, else http://127.0.0.1:8800. A server started with
 * CHAINLOG_TOKEN needs the same value here (CHAINLOG_TOKEN in this process's environment). Exits 0 when the chain
 * succeeded, 1 otherwise.
 */
import { BATCH_LINK_LIMITS, entityExtractionSchema } from '@chainlog/shared';
import { type TRPCClient, createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink } from '@trpc/client';
import { WebSocket } from 'ws';
// Types only: a client never loads server code at run time.
import type { AppRouter } from '../server/src/routers/app.js';

const DEFAULT_URL = 'http://127.0.0.1:8800';

const MESSAGE = {
  from: 'ada@example.com',
  subject: 'Where is my order?',
  body: 'Hi, where is my order #A-1042? It has not arrived yet.\n\nThanks,\nAda',
};

// Node 20 has no global WebSocket: the ws class stands in. Its type lacks the DOM-only dispatchEvent that the
// option's type names, though tRPC never calls it.
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket;

async function main(): Promise<number> {
  const baseUrl = new URL(process.argv[2] ?? (process.env.CHAINLOG_URL || DEFAULT_URL));
  const wsUrl = new URL(baseUrl);
  wsUrl.protocol = baseUrl.protocol === 'https:' ? 'wss:' : 'ws:';

  const token = process.env.CHAINLOG_TOKEN || undefined;

  // One WebSocket for subscriptions (the server takes it on the same port); queries and mutations go over HTTP.
  // The token goes as a Bearer header on HTTP, and in connectionParams (the socket's first message) on the WebSocket.
  const wsClient = createWSClient({
    url: wsUrl.href,
    WebSocket: NodeWebSocket,
    connectionParams: token ? { token } : null,
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (operation) => operation.type === 'subscription',
        true: wsLink({ client: wsClient }),
        // The server takes at most 10 calls a batch by default (CHAINLOG_MAX_BATCH_CALLS), and Node reads 16 KiB of
        // headers: a longer batch of GET queries is split into several requests rather than refused with 431.
        false: httpBatchLink({
          url: new URL('trpc', baseUrl).href,
          ...BATCH_LINK_LIMITS,
          headers: token ? { authorization: `Bearer ${token}` } : {},
        }),
      }),
    ],
  });

  try {
    const { chainId, messageId } = await client.inbox.submit.mutate(MESSAGE);
    console.log(`submitted message ${messageId}; following chain ${chainId}`);

    const outcome = await followChain(client, chainId);
    console.log(`chain ${outcome.status}${outcome.error ? `: ${outcome.error.class}: ${outcome.error.message}` : ''}`);

    const detail = await client.chains.get.query({ chainId });
    printResults(detail.domain);
    return outcome.status === 'succeeded' ? 0 : 1;
  } finally {
    await wsClient.close();
  }
}

type Client = TRPCClient<AppRouter>;
type ChainOutcome = { status: string; error: { class: string; message: string } | null };

/**
 * Subscribes to the chain's events and prints each step as it finishes; resolves with the chain's final status.
 * The subscription replays what already happened, so nothing is missed however late it starts.
 */
function followChain(client: Client, chainId: string): Promise<ChainOutcome> {
  return new Promise((resolve, reject) => {
    let outcome: ChainOutcome | undefined;
    client.chains.events.subscribe(
      { chainId },
      {
        onData: ({ data: { payload } }) => {
          if (payload.type === 'step_finished') {
            const tokens = `${payload.inputTokens ?? '?'} in / ${payload.outputTokens ?? '?'} out tokens`;
            const cost = payload.costUsd === null ? 'cost unknown' : `$${payload.costUsd}`;
            console.log(
              `step ${payload.step} ${payload.name}: done in ${Math.round(payload.latencyMs)} ms on ${payload.provider} ${payload.model} (${tokens}, ${cost}); log ${payload.logId}`,
            );
          }
          if (payload.type === 'step_failed')
            console.log(
              `step ${payload.step} ${payload.name}: FAILED ${payload.error.class}: ${payload.error.message}`,
            );
          if (payload.type === 'chain_finished') outcome = { status: payload.status, error: payload.error };
        },
        onError: reject,
        // The server completes the subscription right after chain_finished.
        onComplete: () =>
          outcome
            ? resolve(outcome)
            : reject(new Error(`the subscription to chain ${chainId} ended before the chain finished`)),
      },
    );
  });
}

type ChainDomain = Awaited<ReturnType<Client['chains']['get']['query']>>['domain'];

function printResults(domain: ChainDomain): void {
  const [triage] = domain.triages;
  if (triage) {
    console.log(`intent: ${triage.intent} (confidence ${triage.confidence}, urgency ${triage.urgency})`);
    // The API types stored entities as unknown: the shared schema says what they are.
    const entities = entityExtractionSchema.safeParse(triage.entities);
    if (entities.success) {
      const found = Object.entries(entities.data).filter(([, values]) => values.length > 0);
      console.log(`entities: ${found.map(([kind, values]) => `${kind} ${values.join(', ')}`).join('; ') || 'none'}`);
    }
  }
  const [draft] = domain.replyDrafts;
  if (draft) {
    console.log(`reply draft (${draft.tone}${draft.needsHuman ? ', needs a human first' : ''}):`);
    console.log(`  subject: ${draft.subject}`);
    for (const line of draft.body.split('\n')) console.log(`  ${line}`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
