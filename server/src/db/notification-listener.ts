import pg from 'pg';
import { errorMessage } from '../error-message.js';
import { log } from '../log.js';
import { ANSWER_TIMEOUT_MS } from './database-status.js';

const listenLog = log.withTag('db');
/** Waits before each attempt to connect again; the last one repeats until the database answers. */
const RECONNECT_DELAYS_MS = [50, 100, 250, 500, 1_000, 2_000];
/** How often the listening connection is asked `select 1`: a silent network path raises no error on an idle socket. */
const PING_INTERVAL_MS = 5_000;

/** What the connection was doing when it was lost: the moment it was last known to be listening. */
export interface ListeningGap {
  lostAt: Date;
}

export interface NotificationHandlers {
  /** One notification's payload, in the order PostgreSQL sent them (commit order). */
  onNotification(payload: string): void;
  /**
   * LISTEN took effect: the first time (`gap` undefined) and after every reconnect. Whatever was announced while
   * the connection was away was not heard: read it from the tables now.
   */
  onListening(gap: ListeningGap | undefined): void;
}

/**
 * One connection of its own (not from the query pool, which hands connections to other work) that LISTENs on one
 * channel for as long as the process runs. When the connection is lost (the server restarted, an administrator
 * ended it, a silent network path), it connects again, with backoff, until it can LISTEN again, and says so.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private closed = false;
  private lastHeardAt: Date | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private listeningPid: number | undefined;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly handlers: NotificationHandlers,
  ) {}

  /** Connects and LISTENs; resolves once listening, or (when the first attempt fails) once a retry is scheduled. */
  start(): Promise<void> {
    return this.connect();
  }

  /** The server process id of the listening connection (PostgreSQL's pg_backend_pid()), undefined while away. */
  backendPid(): number | undefined {
    return this.listeningPid;
  }

  isClosed(): boolean {
    return this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    this.listeningPid = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.config);
    // Until connect() resolves, a failure rejects it; afterwards it arrives here (or as 'end').
    client.on('error', (error) => this.lose(client, error));
    client.on('end', () => this.lose(client, undefined));
    client.on('notification', (message) => {
      if (client !== this.client || message.channel !== this.channel) return;
      this.lastHeardAt = new Date();
      if (message.payload !== undefined) this.handlers.onNotification(message.payload);
    });
    try {
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(this.channel)}`);
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      if (this.closed) {
        await client.end();
        return;
      }
      const gap = this.lastHeardAt ? { lostAt: this.lastHeardAt } : undefined;
      this.client = client;
      this.listeningPid = rows[0]?.pid;
      this.lastHeardAt = new Date();
      if (gap) listenLog.info(`listening for ${this.channel} again`);
      this.attempt = 0;
      this.schedulePings(client);
      this.handlers.onListening(gap);
    } catch (error) {
      await client.end().catch(() => undefined);
      if (this.closed) return;
      listenLog.debug(`could not listen for ${this.channel}: ${errorMessage(error)}`);
      this.scheduleReconnect();
    }
  }

  /** The connection in use failed or ended: forget it and connect again, once. */
  private lose(client: pg.Client, error: Error | undefined): void {
    if (client !== this.client || this.closed) return;
    this.client = undefined;
    this.listeningPid = undefined;
    clearInterval(this.pingTimer);
    listenLog.warn(
      `the connection listening for ${this.channel} was lost (${error ? errorMessage(error) : 'closed'}); connecting again`,
    );
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)];
    this.attempt++;
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private schedulePings(client: pg.Client): void {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(() => void this.ping(client), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  private async ping(client: pg.Client): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<'silent'>((resolve) => {
      timer = setTimeout(() => resolve('silent'), ANSWER_TIMEOUT_MS);
    });
    try {
      const answer = await Promise.race([client.query('select 1').then(() => 'answered' as const), silent]);
      if (answer === 'answered') {
        if (client === this.client) this.lastHeardAt = new Date();
        return;
      }
      this.lose(client, new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`));
    } catch (error) {
      this.lose(client, error instanceof Error ? error : new Error(errorMessage(error)));
    } finally {
      clearTimeout(timer);
    }
  }
}
