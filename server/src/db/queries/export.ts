import { sql } from 'kysely';
import type { Db } from '../client.js';
import type { DatabaseKind } from '../dialect.js';
import { type ChainFilters, type ChainListRow, listChainsWithTotals } from './chains.js';
import { wholeRequest } from './inference-log.js';
import { isoMicroseconds } from './iso-microseconds.js';
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

/**
 * Every column of the matching inference_log rows, the request whole (CSV picks the flat ones), and the times to the
 * microsecond.
 */
export function readLogExportPages(db: Db, kind: DatabaseKind, filters: LogExportFilters, pageRows: number) {
  // The filters' own cursor is where the export starts; later pages go on from their last row.
  return readPages(kind, pageRows, (cursor) =>
    selectLogsMatching(db, { ...filters, cursor: cursor ?? filters.cursor })
      .selectAll()
      .select([
        wholeRequest.as('whole_request'),
        isoMicroseconds(sql<Date>`created_at`).as('created_at_iso'),
        isoMicroseconds(sql<Date | null>`finished_at`).as('finished_at_iso'),
      ]),
  );
}

export type LogExportRow = PageRow<ReturnType<typeof readLogExportPages>>;

export type ChainExportFilters = Omit<ChainFilters, 'limit'>;

/** A chain as chains.list shows it, its id as `id`; a chain only the log knows has `recorded` false and no input. */
export type ChainExportRow = Omit<ChainListRow, 'chain_id'> & { id: string };

/**
 * Every chain chains.list would page through (chains only the log knows included), with its totals over every
 * attempt, in keyset pages of `pageRows` on both databases: each page is chains.list's own query after the previous
 * page's last id, so the export and the list cannot disagree on which chains a filter selects.
 */
export async function* readChainExportPages(
  db: Db,
  filters: ChainExportFilters,
  pageRows: number,
): AsyncGenerator<ChainExportRow[]> {
  let cursor = filters.cursor;
  while (true) {
    const page = await listChainsWithTotals(db, { ...filters, cursor, limit: pageRows });
    if (page.length > 0) yield page.map(({ chain_id, ...rest }) => ({ id: chain_id, ...rest }));
    if (page.length < pageRows) return;
    cursor = page[page.length - 1]?.chain_id;
  }
}
