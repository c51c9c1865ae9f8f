import { sql } from 'kysely';
import type { Db } from '../client.js';

/** The distinct values of each filter column, in the columns' sort order. */
export interface LogFacets {
  names: string[];
  models: string[];
  providers: string[];
}

const FACETS = [
  ['names', 'name'],
  ['models', 'model'],
  ['providers', 'provider'],
] as const;
type Facet = (typeof FACETS)[number][0];

/**
 * A loose index scan ("skip scan") of one column: its least value, then the least value above that, and so on, each
 * one probe of an index that leads with the column (each has a (column, id) one, migration 2026-11-25T1300; name and
 * model also a (column, created_at) one), so the cost grows with the number of distinct values, not of rows. PostgreSQL has no skip scan of its own before 18 (and PGlite none);
 * `select distinct` reads the whole table. The columns are not null, so the null that ends the recursion is never a
 * value.
 */
function skipScan([facet, columnName]: (typeof FACETS)[number]) {
  const column = sql.ref(`inference_log.${columnName}`);
  return sql`${sql.id(facet)}(value) as (
    (select ${column} from inference_log order by ${column} limit 1)
    union all
    select (select ${column} from inference_log where ${column} > previous.value order by ${column} limit 1)
    from ${sql.id(facet)} as previous
    where previous.value is not null
  )`;
}

/** The statement of listLogFacets: rows of (facet, value), ordered by facet then value. */
export function logFacetsStatement() {
  return sql<{ facet: Facet; value: string }>`
    with recursive ${sql.join(FACETS.map(skipScan))}
    ${sql.join(
      FACETS.map(([facet]) => sql`select ${facet}::text as facet, value from ${sql.id(facet)} where value is not null`),
      sql` union all `,
    )}
    order by facet, value`;
}

/** The distinct names, models and providers, for the explorer's filter menus: one statement, three skip scans. */
export async function listLogFacets(db: Db): Promise<LogFacets> {
  const { rows } = await logFacetsStatement().execute(db);
  const found: LogFacets = { names: [], models: [], providers: [] };
  for (const row of rows) found[row.facet].push(row.value);
  return found;
}
