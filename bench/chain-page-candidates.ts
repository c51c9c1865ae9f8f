import { type RawBuilder, sql } from 'kysely';

/** chains.list's candidates for a name among the chains only the log knows (queries/chains.ts), for EXPLAIN. */
export function chainPageCandidates(name: string): RawBuilder<unknown> {
  return sql`
    select distinct log.chain_id from inference_log as log
    where log.name = ${name}
      and not exists (
        select 1 from inference_log as earlier
        where earlier.chain_id = log.chain_id and (earlier.created_at, earlier.name) < (log.created_at, log.name))
      and not exists (select 1 from chain where chain.id = log.chain_id offset 0)
    order by log.chain_id desc
    limit 26`;
}
