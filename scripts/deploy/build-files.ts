import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { PRECOMPRESSED, cacheControlOf, contentTypeOf, isHashedAsset } from '../../server/src/client-file-policy.js';
import { DeployError } from './deploy-error.js';

/** One file of the client build, as it is to be stored in the bucket. */
export interface BuildFile {
  /** The object key: the prefix, then the path relative to the build (`app/assets/index-C2IEUTcS.js`). */
  key: string;
  /** Path relative to the build's root, `/` separated. */
  relativePath: string;
  body: Buffer;
  /** Hex SHA-256 of the body: stored as object metadata, compared on the next deploy. */
  sha256: string;
  contentType: string;
  cacheControl: string;
  role: FileRole;
}

/**
 * `hashed`: fingerprinted by Vite (`assets/<name>-<hash>.<ext>`), its content never changes under its name;
 * `entry`: index.html; `other`: anything else (a file from client/public).
 */
export type FileRole = 'hashed' | 'other' | 'entry';

/** The entry page: uploaded last, so no visitor gets an index.html whose assets are not there yet. */
export const ENTRY_PAGE = 'index.html';

/**
 * The `.br`/`.gz` copies the build writes beside a file are left out: S3 stores one representation per key and
 * ignores Accept-Encoding, so they could only be served under other names, which the client never asks for.
 * CloudFront compresses on its edge instead ("Compress objects automatically").
 */
function isPrecompressedCopy(relativePath: string, all: ReadonlySet<string>): boolean {
  return PRECOMPRESSED.some(
    ({ suffix }) => relativePath.endsWith(suffix) && all.has(relativePath.slice(0, -suffix.length)),
  );
}

/**
 * Reads the client build in `distDir` into the files to publish under `prefix`.
 * @throws DeployError (build) when the folder or its index.html is missing.
 */
export async function readBuildFiles(distDir: string, prefix: string): Promise<BuildFile[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(distDir, { withFileTypes: true, recursive: true });
  } catch (error) {
    throw new DeployError('build', `cannot deploy: cannot read the client build in ${distDir}`, { cause: error });
  }
  const relativePaths = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(distDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
  const all = new Set(relativePaths);
  if (!all.has(ENTRY_PAGE))
    throw new DeployError('build', `cannot deploy: ${distDir} has no ${ENTRY_PAGE} (build the client first)`);
  return Promise.all(
    relativePaths
      .filter((relativePath) => !isPrecompressedCopy(relativePath, all))
      .map(async (relativePath) => {
        const body = await readFile(path.join(distDir, relativePath));
        return {
          key: prefix + relativePath,
          relativePath,
          body,
          sha256: createHash('sha256').update(body).digest('hex'),
          contentType: contentTypeOf(relativePath),
          cacheControl: cacheControlOf(relativePath),
          role: relativePath === ENTRY_PAGE ? 'entry' : isHashedAsset(relativePath) ? 'hashed' : 'other',
        };
      }),
  );
}
