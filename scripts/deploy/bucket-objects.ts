import { HeadObjectCommand, type S3Client, paginateListObjectsV2 } from '@aws-sdk/client-s3';

/** Object metadata key (`x-amz-meta-chainlog-sha256`) holding the SHA-256 of the body the deploy stored. */
export const SHA256_METADATA = 'chainlog-sha256';

/** An object found under the prefix, with what the deploy compares: its content hash and the headers it is served with. */
export interface StoredObject {
  key: string;
  lastModified: Date;
}

export interface StoredHeaders {
  /** Undefined for an object this deploy did not write (no metadata): it is replaced. */
  sha256: string | undefined;
  contentType: string | undefined;
  cacheControl: string | undefined;
}

/** Every object under `prefix`, by key. */
export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<Map<string, StoredObject>> {
  const objects = new Map<string, StoredObject>();
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      objects.set(item.Key, { key: item.Key, lastModified: item.LastModified ?? new Date(0) });
    }
  }
  return objects;
}

/** The stored hash and headers of one object (HeadObject: the listing has neither). */
export async function readStoredHeaders(s3: S3Client, bucket: string, key: string): Promise<StoredHeaders> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { sha256: head.Metadata?.[SHA256_METADATA], contentType: head.ContentType, cacheControl: head.CacheControl };
}
