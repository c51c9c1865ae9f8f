import { sql } from 'kysely';
import type { Db } from '../src/db/client.js';

/** How many inbox messages and chains are stored: what a refused submission must leave unchanged. */
export async function countMessagesAndChains(db: Db): Promise<{ messages: number; chains: number }> {
  const { rows } = await sql<{ messages: number; chains: number }>`
    select (select count(*)::int from inbox_message) as messages, (select count(*)::int from chain) as chains`.execute(
    db,
  );
  const [counts] = rows;
  if (!counts) throw new Error('the count query returned no row');
  return counts;
}
