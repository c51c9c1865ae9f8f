import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ZodType, z } from 'zod';
import {
  type ChainExportFilters,
  type LogExportFilters,
  readChainExportPages,
  readLogExportPages,
} from '../db/queries/export.js';
import { answerTrpcError } from '../http/trpc-error-response.js';
import { log } from '../log.js';
import { chainListInput } from '../routers/chains.js';
import { logFiltersOf, logListInput } from '../routers/logs.js';
import type { AppDependencies } from '../trpc/context.js';
import { EXPORT_CONTENT_TYPES, type ExportFormat, encodeExport, exportFormatSchema } from './export-formats.js';
import { CHAIN_EXPORT_SHAPE, LOG_EXPORT_SHAPE } from './export-shapes.js';

const exportLog = log.withTag('export');

/** Rows read from the database at a time: a cursor's fetch size on PostgreSQL, a keyset page on PGlite. */
const PAGE_ROWS = 1_000;

// The list procedures' own filters (their schemas, so both stay one contract), without the page size, and strict: a
// misspelt filter is refused rather than silently exporting everything.
const logExportInput = logListInput.omit({ limit: true }).extend({ format: exportFormatSchema }).strict();
const chainExportInput = chainListInput.omit({ limit: true }).extend({ format: exportFormatSchema }).strict();

export interface ExportOptions {
  /** Exports streaming at once (CHAINLOG_MAX_EXPORTS). */
  maxExports: number;
  /** Rows per database read; PAGE_ROWS when absent. */
  pageRows?: number | undefined;
}

/**
 * GET /export/logs and /export/chains: the selection `logs.list` or `chains.list` would page through, whole, as
 * CSV, JSON or NDJSON, streamed from the database with backpressure (a page is read only once the client took the
 * previous one). Behind the same door as /trpc (the caller checks access first). Invalid filters are a 400 with zod's
 * issues; a database failure before the first byte is a 503 or 500, after it the response is cut off (never a
 * truncated file that looks complete).
 */
export function createExportHandler(dependencies: AppDependencies, options: ExportOptions) {
  const pageRows = options.pageRows ?? PAGE_ROWS;
  let running = 0;
  return async function answerExport(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const kind = url.pathname === '/export/logs' ? 'logs' : url.pathname === '/export/chains' ? 'chains' : undefined;
    if (!kind)
      return answerTrpcError(
        response,
        404,
        'NOT_FOUND',
        `no export at ${url.pathname}: use /export/logs or /export/chains`,
      );
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return answerTrpcError(response, 405, 'METHOD_NOT_SUPPORTED', `${kind} are exported with GET`);
    }
    const plan = kind === 'logs' ? planLogExport(url.searchParams) : planChainExport(url.searchParams);
    if (plan instanceof z.ZodError)
      return answerTrpcError(response, 400, 'BAD_REQUEST', z.prettifyError(plan), { issues: plan.issues });
    if (!dependencies.databaseStatus.isUp())
      return answerTrpcError(response, 503, 'SERVICE_UNAVAILABLE', 'the database is unreachable; try again shortly');
    if (running >= options.maxExports) {
      response.setHeader('retry-after', '5');
      return answerTrpcError(
        response,
        429,
        'TOO_MANY_REQUESTS',
        `at most ${options.maxExports} exports run at once; try again shortly`,
      );
    }
    running += 1;
    try {
      await stream(request, response, plan.chunks, { kind, format: plan.format });
    } finally {
      running -= 1;
    }
  };

  function planLogExport(params: URLSearchParams) {
    const parsed = parseQuery(logExportInput, params);
    if (!parsed.success) return parsed.error;
    const input = parsed.data;
    const filters: LogExportFilters = logFiltersOf(input);
    const chunks = encodeExport(
      input.format,
      LOG_EXPORT_SHAPE,
      readLogExportPages(dependencies.db, dependencies.databaseKind, filters, pageRows),
    );
    return { format: input.format, chunks };
  }

  function planChainExport(params: URLSearchParams) {
    const parsed = parseQuery(chainExportInput, params);
    if (!parsed.success) return parsed.error;
    const input = parsed.data;
    const filters: ChainExportFilters = {
      status: input.status ?? undefined,
      name: input.name ?? undefined,
      cursor: input.cursor ?? undefined,
    };
    const chunks = encodeExport(
      input.format,
      CHAIN_EXPORT_SHAPE,
      readChainExportPages(dependencies.db, filters, pageRows),
    );
    return { format: input.format, chunks };
  }

  async function stream(
    request: IncomingMessage,
    response: ServerResponse,
    chunks: AsyncGenerator<string>,
    what: { kind: string; format: ExportFormat },
  ) {
    let first: IteratorResult<string>;
    try {
      first = await chunks.next();
    } catch (error) {
      const unreachable = dependencies.databaseStatus.reportFailure(error);
      if (!unreachable) exportLog.error(`export of ${what.kind} failed before its first row`, error);
      return answerTrpcError(
        response,
        unreachable ? 503 : 500,
        unreachable ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR',
        unreachable ? 'the database is unreachable; try again shortly' : 'the export failed (see the server log)',
      );
    }
    const date = new Date().toISOString().slice(0, 10);
    response.writeHead(200, {
      'content-type': EXPORT_CONTENT_TYPES[what.format],
      'content-disposition': `attachment; filename="chainlog-${what.kind}-${date}.${what.format}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // A page on another origin (CHAINLOG_ALLOWED_ORIGINS) may read the file name.
      'access-control-expose-headers': 'content-disposition',
    });
    if (request.method === 'HEAD') {
      await chunks.return(undefined);
      return void response.end();
    }
    const started = Date.now();
    try {
      await pipeline(Readable.from(resume(first, chunks), { objectMode: false }), response);
      exportLog.debug(`exported ${what.kind} as ${what.format} in ${Date.now() - started} ms`);
    } catch (error) {
      // The client went away (the cursor is closed with the stream), or the database failed mid-way: pipeline has
      // destroyed the response, so the client sees a cut-off transfer, never a complete-looking partial file.
      if (response.destroyed && !response.writableFinished && request.socket.destroyed && !isDatabaseError(error)) {
        exportLog.debug(`export of ${what.kind} stopped: the client went away`);
      } else {
        dependencies.databaseStatus.reportFailure(error);
        exportLog.warn(`export of ${what.kind} was cut off: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

async function* resume(first: IteratorResult<string>, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  if (first.done) return;
  yield first.value;
  yield* rest;
}

function isDatabaseError(error: unknown): boolean {
  return error instanceof Error && !('code' in error && error.code === 'ERR_STREAM_PREMATURE_CLOSE');
}

/** Query parameters as the schema's input: each at most once (a repeated one is an issue, not a silent pick). */
function parseQuery<Output>(schema: ZodType<Output>, params: URLSearchParams) {
  const input: Record<string, string> = {};
  const repeated: z.core.$ZodIssue[] = [];
  for (const [key, value] of params) {
    if (key in input)
      repeated.push({ code: 'custom', path: [key], message: `${key} is given more than once`, input: value });
    input[key] = value;
  }
  const parsed = schema.safeParse(input);
  if (repeated.length === 0) return parsed;
  return {
    success: false as const,
    error: new z.ZodError([...repeated, ...(parsed.success ? [] : parsed.error.issues)]),
  };
}
