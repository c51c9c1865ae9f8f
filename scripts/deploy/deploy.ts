import path from 'node:path';
import { log } from '../../server/src/log.js';
import { createCloudFrontClient, createS3Client } from './aws-clients.js';
import { type StoredHeaders, listObjects, readStoredHeaders } from './bucket-objects.js';
import { buildClient } from './build-client.js';
import { type BuildFile, readBuildFiles } from './build-files.js';
import { parseDeployConfig } from './deploy-env.js';
import { type DeployPlan, planDeploy } from './deploy-plan.js';
import { describePlan } from './describe-plan.js';
import { invalidateEntryPage, invalidationPath } from './invalidate.js';
import { MANIFEST_NAME, nextManifest, readManifest, writeManifest } from './manifest.js';
import { mapWithLimit } from './map-with-limit.js';
import { checkBucket, describeS3 } from './preflight.js';
import { deletePlanned, uploadPlanned } from './publish.js';

const deployLog = log.withTag('deploy');

/** HeadObject requests in flight while comparing: one per build file that is already stored. */
const HEAD_CONCURRENCY = 8;

/**
 * The folder a deploy publishes: its own build in `client/dist-deploy`, so the bundle made for a remote API never
 * replaces the same-origin one `npm start` serves from `client/dist`; with `--no-build`, `client/dist` as
 * `npm run build` left it (a CI step may have built it with VITE_API_URL).
 */
export function deployDistDir(projectRoot: string, build: boolean): string {
  return path.join(projectRoot, 'client', build ? 'dist-deploy' : 'dist');
}

export interface DeployOptions {
  /** Where the configuration comes from (`process.env` for the CLI). */
  environment: NodeJS.ProcessEnv;
  /** The repository's root, where the client is built. */
  projectRoot: string;
  /** The client build to publish; also where it is built when `build` is true. */
  distDir: string;
  /** Build the client (with CHAINLOG_DEPLOY_API_URL) into `distDir` first. */
  build: boolean;
  /** Read the bucket and print the plan; write nothing to the bucket or the distribution. */
  dryRun: boolean;
}

export interface DeployResult {
  plan: DeployPlan;
  /** Keys written, in the order they finished. Empty on a dry run. */
  uploaded: string[];
  deleted: string[];
  /** CloudFront's id for the invalidation of the entry page, when one was made. */
  invalidationId: string | undefined;
}

/**
 * Publishes the client build to S3, then invalidates the entry page on CloudFront when a distribution is configured
 * and index.html changed. Everything that can be wrong with the configuration, credentials or bucket is found before
 * the build and before the first write. A deploy that would change nothing writes nothing.
 * @throws DeployError naming what stopped it.
 */
export async function deploy(options: DeployOptions): Promise<DeployResult> {
  const config = parseDeployConfig(options.environment);
  const s3 = createS3Client(config);
  try {
    const region = await checkBucket(s3, config);
    deployLog.info(
      `publishing to bucket ${config.bucket}${config.prefix ? ` under ${config.prefix}` : ''} at ${describeS3(config, region)}`,
    );
    if (options.build) {
      if (!config.apiUrl)
        deployLog.warn('CHAINLOG_DEPLOY_API_URL is not set: the client will call /trpc on its own origin');
      await buildClient({
        projectRoot: options.projectRoot,
        outDir: options.distDir,
        apiUrl: config.apiUrl,
        environment: options.environment,
      });
      deployLog.info(`built the client for ${config.apiUrl ?? 'its own origin'} into ${options.distDir}`);
    }
    const files = await readBuildFiles(options.distDir, config.prefix);
    if (!options.build && config.apiUrl && !bundleNames(files, config.apiUrl))
      deployLog.warn(
        `CHAINLOG_DEPLOY_API_URL=${config.apiUrl} is not in the build in ${options.distDir}: --no-build publishes it as it was built. Build it with VITE_API_URL=${config.apiUrl}, or deploy without --no-build`,
      );
    const manifestKey = config.prefix + MANIFEST_NAME;
    const [stored, manifestRead] = await Promise.all([
      listObjects(s3, config.bucket, config.prefix),
      readManifest(s3, config.bucket, manifestKey),
    ]);
    stored.delete(manifestKey);
    if (manifestRead.problem) deployLog.warn(`${manifestRead.problem}: nothing will be deleted this time`);
    const headers = await mapWithLimit(
      files.filter((file) => stored.has(file.key)),
      HEAD_CONCURRENCY,
      async (file): Promise<[string, StoredHeaders]> => [
        file.key,
        await readStoredHeaders(s3, config.bucket, file.key),
      ],
    );
    const plan = planDeploy({ files, stored, storedHeaders: new Map(headers), previous: manifestRead.found });

    const path = invalidationPath(config.prefix);
    const entryChanged = plan.uploads.some(({ file }) => file.role === 'entry');
    const invalidate = config.distributionId !== undefined && entryChanged;
    const invalidationLine = !config.distributionId
      ? 'no invalidation: CHAINLOG_DEPLOY_DISTRIBUTION_ID is not set'
      : invalidate
        ? `invalidate ${path} on distribution ${config.distributionId}`
        : 'no invalidation: index.html is unchanged';
    for (const line of describePlan(plan, invalidationLine)) deployLog.log(line);
    if (options.dryRun) {
      deployLog.info('dry run: nothing was written');
      return { plan, uploaded: [], deleted: [], invalidationId: undefined };
    }
    // Without a manifest (a bucket filled before this tool, or one whose manifest was lost) one is written all the same.
    if (plan.uploads.length === 0 && plan.deletions.length === 0 && manifestRead.found) {
      deployLog.success('the bucket already holds this build: nothing to do');
      return { plan, uploaded: [], deleted: [], invalidationId: undefined };
    }

    const uploaded = await uploadPlanned(s3, config.bucket, plan);
    const failed = await deletePlanned(s3, config.bucket, plan.deletions);
    const thisDeploy = {
      at: new Date().toISOString(),
      apiUrl: config.apiUrl ?? null,
      files: files.map((file) => file.key),
    };
    await writeManifest(
      s3,
      config.bucket,
      manifestKey,
      nextManifest(manifestRead.found?.manifest, thisDeploy, [...plan.objects, ...failed]),
    );
    if (failed.length > 0) deployLog.warn(`could not delete ${failed.join(', ')}: the next deploy tries again`);
    const deleted = plan.deletions.filter((key) => !failed.includes(key));

    let invalidationId: string | undefined;
    if (invalidate && config.distributionId) {
      const cloudFront = createCloudFrontClient(config);
      try {
        invalidationId = await invalidateEntryPage(cloudFront, config.distributionId, path);
      } finally {
        cloudFront.destroy();
      }
      deployLog.info(`invalidation ${invalidationId} of ${path} created`);
    }
    deployLog.success(`deployed: ${uploaded.length} uploaded, ${deleted.length} deleted`);
    return { plan, uploaded, deleted, invalidationId };
  } finally {
    s3.destroy();
  }
}

/** Whether a script of the build holds `apiUrl`, which Vite writes in as a literal where the client reads VITE_API_URL. */
function bundleNames(files: readonly BuildFile[], apiUrl: string): boolean {
  return files.some((file) => file.relativePath.endsWith('.js') && file.body.includes(apiUrl));
}
