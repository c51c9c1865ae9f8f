import pg from 'pg';

/** Thrown when the database neither refused nor answered within the time given. */
export class NoAnswerError extends Error {
  constructor(readonly waitedMs: number) {
    super(`the database did not answer within ${waitedMs} ms`);
    this.name = 'NoAnswerError';
  }
}

/**
 * `select 1` on a connection of its own, made for this question and dropped after it: a pooled connection that went
 * silent (its server's host vanished, a middlebox lost its state) can neither make the answer wait nor be the answer.
 * Resolves once the database answered; rejects with NoAnswerError after `timeoutMs`, or with the driver's error.
 */
export async function pingServer(config: pg.ClientConfig, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ ...config, connectionTimeoutMillis: timeoutMs });
  // A failure after the answer (or after giving up) belongs to nobody: the client is being dropped.
  client.on('error', () => {});
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new NoAnswerError(timeoutMs)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.query('select 1')), silent]);
  } finally {
    clearTimeout(timer);
    void client.end().catch(() => {});
  }
}
