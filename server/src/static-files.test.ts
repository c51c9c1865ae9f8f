import { appendFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { Agent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompressFolder } from '../../client/build/precompress.js';
import { type RawResponse, sendRaw } from '../test/raw-http.js';
import { type RunningServer, startRunningServer } from '../test/running-server.js';

// Big and repetitive enough that both encodings are far smaller than the file, as a real chunk is.
const SCRIPT = `export const lines = [${Array.from({ length: 400 }, (_, index) => `"line ${index} of the chainlog bundle"`).join(', ')}];\n`;
const INDEX_HTML = `<!doctype html><title>Chainlog shell</title><script type="module" src="./assets/index-BFhtT2wC.js"></script>${' '.repeat(200)}`;
const HASHED = '/assets/index-BFhtT2wC.js';

describe('the client files, as npm start serves them', () => {
  let tempRoot: string;
  let clientDir: string;
  let running: RunningServer;
  const get = (pathname: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> =>
    sendRaw(running.url, { method, path: pathname, headers });

  beforeAll(async () => {
    tempRoot = mkdtempSync(path.join(tmpdir(), 'chainlog-static-'));
    clientDir = path.join(tempRoot, 'dist');
    mkdirSync(path.join(clientDir, 'assets'), { recursive: true });
    writeFileSync(path.join(clientDir, 'index.html'), INDEX_HTML);
    writeFileSync(path.join(clientDir, HASHED), SCRIPT);
    writeFileSync(path.join(clientDir, 'robots.txt'), `User-agent: *\nDisallow: /trpc/\n${'# chainlog\n'.repeat(30)}`);
    writeFileSync(path.join(clientDir, 'assets', 'tiny-Cx1yZ9aB.js'), 'let a;');
    // What `npm run build` does after Vite has written the bundle: .br and .gz beside each file worth compressing.
    await precompressFolder(clientDir);
    running = await startRunningServer({ clientDir });
  });
  afterAll(async () => {
    await running.close();
    rmSync(tempRoot, { recursive: true, force: true });
  });

  describe('encoding by Accept-Encoding', () => {
    it('sends brotli when the client accepts it, which decompresses to the file', async () => {
      const response = await get(HASHED, { 'accept-encoding': 'gzip, deflate, br, zstd' });

      expect(response.status).toBe(200);
      expect(response.headers['content-encoding']).toBe('br');
      expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(response.headers.vary).toBe('Accept-Encoding');
      expect(Number(response.headers['content-length'])).toBe(response.bytes.length);
      expect(response.bytes.length).toBeLessThan(SCRIPT.length / 4);
      expect(brotliDecompressSync(response.bytes).toString('utf8')).toBe(SCRIPT);
    });

    it('sends gzip when the client accepts gzip but not brotli, which decompresses to the file', async () => {
      for (const acceptEncoding of ['gzip, deflate', 'gzip, br;q=0', 'x-gzip']) {
        const response = await get(HASHED, { 'accept-encoding': acceptEncoding });

        expect(response.headers['content-encoding']).toBe('gzip');
        expect(response.headers.vary).toBe('Accept-Encoding');
        expect(gunzipSync(response.bytes).toString('utf8')).toBe(SCRIPT);
      }
    });

    it('follows the weights the client gives: gzip over brotli when gzip weighs more', async () => {
      const response = await get(HASHED, { 'accept-encoding': 'br;q=0.5, gzip;q=0.9' });

      expect(response.headers['content-encoding']).toBe('gzip');
    });

    it('sends the file as is when the client accepts no encoding we store, still varying on Accept-Encoding', async () => {
      const cases: Record<string, string>[] = [
        {},
        { 'accept-encoding': 'identity' },
        { 'accept-encoding': 'deflate' },
        { 'accept-encoding': '*;q=0' },
      ];
      for (const headers of cases) {
        const response = await get(HASHED, headers);

        expect(response.status).toBe(200);
        expect(response.headers['content-encoding']).toBeUndefined();
        expect(response.headers.vary).toBe('Accept-Encoding');
        expect(response.body).toBe(SCRIPT);
      }
    });

    it('sends a file that compression would not shrink as is, even to a client accepting brotli', async () => {
      const response = await get('/assets/tiny-Cx1yZ9aB.js', { 'accept-encoding': 'br, gzip' });

      expect(response.headers['content-encoding']).toBeUndefined();
      expect(response.body).toBe('let a;');
    });

    it('compresses the app shell too, at / and at a client route', async () => {
      for (const page of ['/', '/chains/some-id']) {
        const response = await get(page, { 'accept-encoding': 'br' });

        expect(response.headers['content-encoding']).toBe('br');
        expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(brotliDecompressSync(response.bytes).toString('utf8')).toBe(INDEX_HTML);
      }
    });
  });

  describe('validation with ETag and If-None-Match', () => {
    it('gives each encoding of a file its own strong ETag, the same on every request', async () => {
      const [brotli, gzip, identity, brotliAgain] = await Promise.all([
        get(HASHED, { 'accept-encoding': 'br' }),
        get(HASHED, { 'accept-encoding': 'gzip' }),
        get(HASHED),
        get(HASHED, { 'accept-encoding': 'br' }),
      ]);
      const etags = [brotli, gzip, identity].map((response) => response.headers.etag);

      for (const etag of etags) expect(etag).toMatch(/^"[\w-]{16,}"$/);
      expect(new Set(etags).size).toBe(3);
      expect(brotliAgain.headers.etag).toBe(brotli.headers.etag);
    });

    it('answers 304 with no body to an If-None-Match naming the current ETag, weak or not, or *', async () => {
      const { headers } = await get(HASHED, { 'accept-encoding': 'br' });
      const etag = headers.etag ?? '';

      for (const ifNoneMatch of [etag, `W/${etag}`, `"something-else", ${etag}`, '*']) {
        const response = await get(HASHED, { 'accept-encoding': 'br', 'if-none-match': ifNoneMatch });

        expect(response.status).toBe(304);
        expect(response.bytes.length).toBe(0);
        expect(response.headers.etag).toBe(etag);
        expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        expect(response.headers.vary).toBe('Accept-Encoding');
      }
    });

    it('answers 200 with the body when the ETag named is another one, such as the gzip copy while brotli is chosen', async () => {
      const gzip = await get(HASHED, { 'accept-encoding': 'gzip' });

      const response = await get(HASHED, { 'accept-encoding': 'br', 'if-none-match': gzip.headers.etag ?? '' });

      expect(response.status).toBe(200);
      expect(brotliDecompressSync(response.bytes).toString('utf8')).toBe(SCRIPT);
    });

    it('changes the ETag of a file rebuilt under the same name, so the old copy is not kept', async () => {
      const before = await get('/robots.txt');
      const changed = 'User-agent: *\nDisallow: /\n';
      writeFileSync(path.join(clientDir, 'robots.txt'), changed);
      try {
        const response = await get('/robots.txt', { 'if-none-match': before.headers.etag ?? '' });

        expect(response.status).toBe(200);
        expect(response.body).toBe(changed);
        expect(response.headers.etag).not.toBe(before.headers.etag);
      } finally {
        writeFileSync(path.join(clientDir, 'robots.txt'), before.body);
      }
    });

    it('does not send a precompressed copy older than its file (left from an earlier build)', async () => {
      const scriptPath = path.join(clientDir, 'assets', 'stale-Dq0rT5uE.js');
      const content = SCRIPT.replace('line 0', 'fresh line');
      writeFileSync(`${scriptPath}.br`, 'an earlier build');
      writeFileSync(scriptPath, content);
      utimesSync(`${scriptPath}.br`, new Date(2000, 0, 1), new Date(2000, 0, 1));

      const [brotli, gzip] = await Promise.all([
        get('/assets/stale-Dq0rT5uE.js', { 'accept-encoding': 'br, gzip' }),
        get('/assets/stale-Dq0rT5uE.js', { 'accept-encoding': 'gzip' }),
      ]);

      expect(brotli.headers['content-encoding']).toBeUndefined();
      expect(brotli.body).toBe(content);
      expect(gzip.headers['content-encoding']).toBeUndefined();
    });
  });

  describe('caching by kind of file', () => {
    it('lets browsers keep a fingerprinted asset for a year without asking again', async () => {
      const response = await get(HASHED);

      expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    });

    it('makes browsers revalidate index.html, at / and at a client route, and a file with no fingerprint', async () => {
      for (const pathname of ['/', '/index.html', '/logs/123', '/robots.txt']) {
        const response = await get(pathname);

        expect(response.status).toBe(200);
        expect(response.headers['cache-control']).toBe('no-cache');
        expect(response.headers.etag).toMatch(/^"[\w-]{16,}"$/);
      }
    });
  });

  describe('HEAD', () => {
    it('answers the headers GET would send, with no body', async () => {
      const cases: Record<string, string>[] = [{}, { 'accept-encoding': 'br' }, { 'accept-encoding': 'gzip' }];
      for (const headers of cases) {
        const [asGet, asHead] = await Promise.all([get(HASHED, headers), get(HASHED, headers, 'HEAD')]);

        expect(asHead.status).toBe(200);
        expect(asHead.bytes.length).toBe(0);
        expect(Number(asHead.headers['content-length'])).toBe(asGet.bytes.length);
        expect(asHead.headers.etag).toMatch(/^"[\w-]{16,}"$/);
        for (const name of ['content-type', 'content-length', 'content-encoding', 'etag', 'cache-control', 'vary']) {
          expect(asHead.headers[name]).toBe(asGet.headers[name]);
        }
      }
    });

    it('answers 304 to a HEAD naming the current ETag', async () => {
      const { headers } = await get('/', {}, 'HEAD');

      const response = await get('/', { 'if-none-match': headers.etag ?? '' }, 'HEAD');

      expect(response.status).toBe(304);
    });
  });

  describe('a file rewritten while it is sent', () => {
    it('sends no more than the Content-Length it announced, so the next answer on the connection is read whole', async () => {
      const size = 8 * 1024 * 1024;
      const growing = path.join(clientDir, 'assets', 'growing-Bq1wE4rT.js');
      writeFileSync(growing, 'x'.repeat(size));
      // One kept-alive connection for both requests: bytes past the first body would be read as the second answer.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await getThrough(agent, '/assets/growing-Bq1wE4rT.js', () =>
          appendFileSync(growing, 'y'.repeat(1024 * 1024)),
        );
        const second = await getThrough(agent, '/robots.txt');

        expect(first.headers['content-length']).toBe(String(size));
        expect(first.bytes).toBe(size);
        expect(second.status).toBe(200);
        expect(second.body).toContain('User-agent');
      } finally {
        agent.destroy();
        rmSync(growing, { force: true });
      }
    });

    function getThrough(
      agent: Agent,
      pathname: string,
      onHeaders: () => void = () => {},
    ): Promise<{ status: number; headers: IncomingHttpHeaders; bytes: number; body: string }> {
      const { hostname, port } = new URL(running.url);
      return new Promise((resolve, reject) => {
        const request = httpRequest({ host: hostname, port, path: pathname, agent }, (response) => {
          onHeaders();
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const body = Buffer.concat(chunks);
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              bytes: body.length,
              body: body.toString('utf8'),
            });
          });
          response.on('error', reject);
        });
        request.on('error', reject);
        request.end();
      });
    }
  });
});
