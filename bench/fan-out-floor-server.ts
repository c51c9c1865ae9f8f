/**
 * The floor beside `bench:fan-out`: a bare `ws` server that, asked over HTTP (`POST /broadcast`), writes EVENTS
 * messages to every socket it holds, each stringified once and stamped with when it was sent: no tRPC, no database,
 * no subscription state. Started three times by bench/fan-out.ts, on the same cores as Chainlog's three instances.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const EVENTS = 6;
const EVENT_GAP_MS = 50;
// About the size of a Chainlog step event as a subscriber receives it.
const PADDING = 'x'.repeat(300);

const server = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/broadcast') {
    response.writeHead(404).end();
    return;
  }
  response.end();
  let sent = 0;
  const broadcast = () => {
    const message = JSON.stringify({ event: sent, sentAt: Date.now(), padding: PADDING });
    for (const socket of sockets.clients) socket.send(message);
    if (++sent < EVENTS) setTimeout(broadcast, EVENT_GAP_MS);
  };
  broadcast();
});
const sockets = new WebSocketServer({ server });
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`floor listening on http://127.0.0.1:${address.port}`);
});
