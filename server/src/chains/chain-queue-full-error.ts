/** Refused: as many chains wait to start as the server queues (CHAINLOG_MAX_WAITING_CHAINS); nothing was stored. */
export class ChainQueueFullError extends Error {
  override name = 'ChainQueueFullError';
  constructor(readonly maxWaiting: number) {
    super(`${maxWaiting} chains are already waiting to start, the most this server queues; try again shortly`);
  }
}
