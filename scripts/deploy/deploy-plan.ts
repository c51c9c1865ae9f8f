import type { StoredHeaders, StoredObject } from './bucket-objects.js';
import type { BuildFile, FileRole } from './build-files.js';
import type { StoredManifest } from './manifest.js';

export type UploadReason = 'new' | 'changed' | 'headers changed' | 'not written by a deploy';

export interface PlannedUpload {
  file: BuildFile;
  reason: UploadReason;
}

export type KeepReason = 'in the previous deploy' | 'written since the previous deploy';

/**
 * What a deploy will do, in order: `uploads` (fingerprinted assets first, then other files, the entry page last),
 * then `deletions`, then the manifest with `objects` as the deploy's own objects.
 */
export interface DeployPlan {
  uploads: PlannedUpload[];
  unchanged: string[];
  deletions: string[];
  /** Stale objects of earlier deploys kept this time, and why. */
  kept: { key: string; reason: KeepReason }[];
  /** Every key the deploy owns once the plan is carried out (for the manifest). */
  objects: string[];
}

export interface PlanInput {
  files: readonly BuildFile[];
  /** Everything under the prefix (the manifest excluded). */
  stored: ReadonlyMap<string, StoredObject>;
  /** Hash and headers of each build file's key that is stored. */
  storedHeaders: ReadonlyMap<string, StoredHeaders>;
  previous: StoredManifest | undefined;
}

function uploadReason(
  file: BuildFile,
  stored: StoredObject | undefined,
  headers: StoredHeaders | undefined,
): UploadReason | undefined {
  if (!stored || !headers) return 'new';
  if (headers.sha256 === undefined) return 'not written by a deploy';
  if (headers.sha256 !== file.sha256) return 'changed';
  if (headers.contentType !== file.contentType || headers.cacheControl !== file.cacheControl) return 'headers changed';
  return undefined;
}

/** Fingerprinted files first (nothing refers to them yet), then the rest, the entry page last. */
export const UPLOAD_ORDER: readonly FileRole[] = ['hashed', 'other', 'entry'];

/**
 * Plans a deploy; changes nothing. A file is uploaded when its key is missing, its SHA-256 differs, or it would be
 * served with other headers. An object is deleted only when a deploy wrote it (the manifest's `objects`), the new
 * build does not have it, the previous deploy did not have it either (tabs opened on that deploy still load its lazy
 * chunks), and it is not newer than the previous deploy (the bucket's LastModified, in whole seconds, against the
 * manifest's: a deploy running beside this one may have just written it). Without a manifest nothing is deleted.
 */
export function planDeploy({ files, stored, storedHeaders, previous }: PlanInput): DeployPlan {
  const uploads: PlannedUpload[] = [];
  const unchanged: string[] = [];
  for (const file of files) {
    const reason = uploadReason(file, stored.get(file.key), storedHeaders.get(file.key));
    if (reason) uploads.push({ file, reason });
    else unchanged.push(file.key);
  }
  uploads.sort(
    (a, b) =>
      UPLOAD_ORDER.indexOf(a.file.role) - UPLOAD_ORDER.indexOf(b.file.role) || a.file.key.localeCompare(b.file.key),
  );

  const current = new Set(files.map((file) => file.key));
  const previousFiles = new Set(previous?.manifest.deploys[0]?.files ?? []);
  const deletions: string[] = [];
  const kept: DeployPlan['kept'] = [];
  for (const key of previous?.manifest.objects ?? []) {
    const object = stored.get(key);
    if (current.has(key) || !object) continue;
    if (previousFiles.has(key)) kept.push({ key, reason: 'in the previous deploy' });
    else if (previous && object.lastModified.getTime() > previous.writtenAt.getTime())
      kept.push({ key, reason: 'written since the previous deploy' });
    else deletions.push(key);
  }
  return {
    uploads,
    unchanged,
    deletions: deletions.sort(),
    kept,
    objects: [...current, ...kept.map(({ key }) => key)],
  };
}
