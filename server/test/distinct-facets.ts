import type { Db } from '../src/db/client.js';
import type { LogFacets } from '../src/db/queries/log-facets.js';

/** logs.facets as it was before its skip scans: three DISTINCT queries at once, each reading the whole log. */
export async function distinctFacets(db: Db): Promise<LogFacets> {
  const [names, models, providers] = await Promise.all([
    db.selectFrom('inference_log').select('name').distinct().orderBy('name').execute(),
    db.selectFrom('inference_log').select('model').distinct().orderBy('model').execute(),
    db.selectFrom('inference_log').select('provider').distinct().orderBy('provider').execute(),
  ]);
  return {
    names: names.map((row) => row.name),
    models: models.map((row) => row.model),
    providers: providers.map((row) => row.provider),
  };
}
