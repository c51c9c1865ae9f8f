import { DeleteObjectsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SHA256_METADATA } from './bucket-objects.js';
import type { BuildFile } from './build-files.js';
import { type DeployPlan, UPLOAD_ORDER } from './deploy-plan.js';
import { DeployError } from './deploy-error.js';
import { mapWithLimit } from './map-with-limit.js';

/** Parallel uploads: enough to hide the round trips of a few dozen small files, few enough for a slow uplink. */
const UPLOAD_CONCURRENCY = 6;
/** DeleteObjects takes at most 1,000 keys a request. */
const DELETE_BATCH = 1_000;

async function upload(s3: S3Client, bucket: string, file: BuildFile): Promise<void> {
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: file.key,
        Body: file.body,
        ContentType: file.contentType,
        CacheControl: file.cacheControl,
        Metadata: { [SHA256_METADATA]: file.sha256 },
      }),
    );
  } catch (error) {
    throw new DeployError(
      'upload',
      `upload of ${file.key} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Uploads in the plan's order, in three waves that do not overlap: fingerprinted assets, other files, then the entry
 * page alone, so the new index.html is only visible once everything it refers to is stored. Returns the keys written.
 * @throws DeployError (upload) at the first failed upload; the entry page is then not written, so visitors keep the
 * previous version whole.
 */
export async function uploadPlanned(s3: S3Client, bucket: string, plan: DeployPlan): Promise<string[]> {
  const written: string[] = [];
  for (const role of UPLOAD_ORDER) {
    const wave = plan.uploads.filter(({ file }) => file.role === role);
    await mapWithLimit(wave, UPLOAD_CONCURRENCY, async ({ file }) => {
      await upload(s3, bucket, file);
      written.push(file.key);
    });
  }
  return written;
}

/** Deletes the plan's stale objects; returns the keys that could not be deleted (they stay the deploy's to retry). */
export async function deletePlanned(s3: S3Client, bucket: string, keys: readonly string[]): Promise<string[]> {
  const failed: string[] = [];
  for (let start = 0; start < keys.length; start += DELETE_BATCH) {
    const batch = keys.slice(start, start + DELETE_BATCH);
    const result = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: batch.map((key) => ({ Key: key })), Quiet: true },
      }),
    );
    for (const error of result.Errors ?? []) if (error.Key) failed.push(error.Key);
  }
  return failed;
}
