import { sql } from 'kysely';
import type { Db } from '../client.js';
import type { DatabaseKind } from '../dialect.js';
import { type ChainFilters, selectChainsMatching } from './chains.js';
import { wholeRequest } from './inference-log.js';
import { type LogFilters, selectLogsMatching } from './logs.js';

/** A query in id order that can be read through a cursor or a page at a time. */
interface PagedQuery<Row> {
  stream(chunkSize: number): AsyncIterableIterator<Row>;
  limit(limit: number): { execute(): Promise<Row[]> };
}

/**
 * The rows of a query, `pageRows` at a time, without holding more than a page: on PostgreSQL through one server-side
 * cursor (one consistent snapshot; the connection is held until the last page is read or the reader stops), on
 * PGlite in keyset pages (each page a query after the previous page's last id), since its one connection must stay
 * free for everything else between pages. Stopping the iteration closes the cursor.
 */
async function* readPages<Row extends { id: string }>(
  kind: DatabaseKind,
  pageRows: number,
  queryAfter: (cursor: string | undefined) => PagedQuery<Row>,
): AsyncGenerator<Row[]> {
  if (kind === 'postgres') {
    let page: Row[] = [];
    for await (const row of queryAfter(undefined).stream(pageRows)) {
      page.push(row);
      if (page.length === pageRows) {
        yield page;
        page = [];
      }
    }
    if (page.length > 0) yield page;
    return;
  }
  let cursor: string | undefined;
  while (true) {
    const page = await queryAfter(cursor).limit(pageRows).execute();
    if (page.length > 0) yield page;
    if (page.length < pageRows) return;
    cursor = page[page.length - 1]?.id;
  }
}

type PageRow<Pages> = Pages extends AsyncGenerator<(infer Row)[]> ? Row : never;

export type LogExportFilters = Omit<LogFilters, 'limit'>;

/** Every column of the matching inference_log rows, and the request whole (CSV picks the flat ones). */
export function readLogExportPages(db: Db, kind: DatabaseKind, filters: LogExportFilters, pageRows: number) {
  // The filters' own cursor is where the export starts; later pages go on from their last row.
  return readPages(kind, pageRows, (cursor) =>
    selectLogsMatching(db, { ...filters, cursor: cursor ?? filters.cursor })
      .selectAll()
      .select(wholeRequest.as('whole_request')),
  );
}

export type LogExportRow = PageRow<ReturnType<typeof readLogExportPages>>;

export type ChainExportFilters = Omit<ChainFilters, 'limit'>;

/** The matching chain rows with their totals over every attempt in the log (one index lookup per chain). */
export function readChainExportPages(db: Db, kind: DatabaseKind, filters: ChainExportFilters, pageRows: number) {
  return readPages(kind, pageRows, (cursor) =>
    selectChainsMatching(db, { ...filters, cursor: cursor ?? filters.cursor })
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('inference_log')
            .whereRef('inference_log.chain_id', '=', 'chain.id')
            .select([
              sql<number>`count(*) filter (where attempt = 1)::int`.as('calls'),
              sql<number>`count(*)::int`.as('attempts'),
              sql<number>`count(*) filter (where inference_log.status = 'error')::int`.as('errors'),
              sql<number | null>`sum(input_tokens)::int`.as('input_tokens'),
              sql<number | null>`sum(output_tokens)::int`.as('output_tokens'),
              sql<string | null>`sum(cost_usd)`.as('cost_usd'),
            ])
            .as('totals'),
        (join) => join.onTrue(),
      )
      .selectAll('chain')
      .select([
        'totals.calls',
        'totals.attempts',
        'totals.errors',
        'totals.input_tokens',
        'totals.output_tokens',
        'totals.cost_usd',
      ]),
  );
}

export type ChainExportRow = PageRow<ReturnType<typeof readChainExportPages>>;
