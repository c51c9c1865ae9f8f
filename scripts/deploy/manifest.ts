import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { REVALIDATE } from '../../server/src/client-file-policy.js';

/** The manifest's name under the prefix. It is not part of the site: no page refers to it. */
export const MANIFEST_NAME = '.chainlog-deploy.json';

/** How many deploys the manifest remembers (for people reading it; the rules use the newest only). */
const KEPT_DEPLOYS = 10;

const manifestSchema = z.object({
  version: z.literal(1),
  /** Newest first. */
  deploys: z.array(
    z.object({
      at: z.iso.datetime(),
      apiUrl: z.string().nullable(),
      /** Every key of that deploy's build. */
      files: z.array(z.string()),
    }),
  ),
  /** Every key a deploy wrote and none has deleted yet: the only objects a deploy may delete. */
  objects: z.array(z.string()),
});

export type Manifest = z.infer<typeof manifestSchema>;

/** The manifest as stored, and when it was written by the bucket's own clock: the time of the previous deploy. */
export interface StoredManifest {
  manifest: Manifest;
  writtenAt: Date;
}

/** A manifest that cannot be read is reported, and then treated as absent: nothing is deleted, nothing is lost. */
export interface ManifestRead {
  found: StoredManifest | undefined;
  /** Why a manifest that is there could not be used. */
  problem: string | undefined;
}

export async function readManifest(s3: S3Client, bucket: string, key: string): Promise<ManifestRead> {
  let text: string;
  let writtenAt: Date;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await object.Body?.transformToString('utf-8')) ?? '';
    writtenAt = object.LastModified ?? new Date(0);
  } catch (error) {
    if (error instanceof NoSuchKey) return { found: undefined, problem: undefined };
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { found: undefined, problem: `${key} is not JSON` };
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    return {
      found: undefined,
      problem: `${key} is not a deploy manifest: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    };
  return { found: { manifest: parsed.data, writtenAt }, problem: undefined };
}

/** The manifest after a deploy: this deploy first, older ones trimmed, `objects` as the deploy left them. */
export function nextManifest(
  previous: Manifest | undefined,
  deploy: Manifest['deploys'][number],
  objects: readonly string[],
): Manifest {
  return {
    version: 1,
    deploys: [deploy, ...(previous?.deploys ?? [])].slice(0, KEPT_DEPLOYS),
    objects: [...objects].sort(),
  };
}

export async function writeManifest(s3: S3Client, bucket: string, key: string, manifest: Manifest): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: `${JSON.stringify(manifest, null, 2)}\n`,
      ContentType: 'application/json',
      CacheControl: REVALIDATE,
    }),
  );
}
