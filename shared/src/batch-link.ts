/**
 * The options a tRPC `httpBatchLink` needs to stay within a server on its defaults: at most
 * CHAINLOG_MAX_BATCH_CALLS calls a batch (more is a 400 before any runs), and a batch of GET queries no longer than
 * Node's 16 KiB of request headers allow (a longer one is split into several requests rather than refused with a
 * 431). Spread them into the link's options; a server started with other limits needs its own.
 */
export const BATCH_LINK_LIMITS = { maxItems: 10, maxURLLength: 14_000 } as const;
