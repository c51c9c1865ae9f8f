/**
 * The schema that holds pg-boss's tables beside the app's: `chainlog_jobs` beside `public` (and on PGlite), else
 * `<schema>_jobs`, so deployments (and test runs) that share a PostgreSQL database through their search_path keep
 * their queues apart, and analysts' schema holds only Chainlog's own tables.
 */
export function jobsSchemaFor(appSchema: string | undefined): string {
  return appSchema === undefined || appSchema === 'public' ? 'chainlog_jobs' : `${appSchema}_jobs`;
}

/** The pg-boss queue every submitted chain is a job of; the job's id is the chain's id. */
export const CHAIN_QUEUE = 'chain';
