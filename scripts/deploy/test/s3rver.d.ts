// @20minutes/s3rver ships no types; this is the part of its API (lib/s3rver.js, 4.0) the tests use.
declare module '@20minutes/s3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    silent?: boolean;
    /** Where objects are stored, as files. */
    directory?: string;
    /** Accept requests whose signature it computes differently (see local-s3.ts); the access key is still checked. */
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string }[];
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the `configureBuckets` buckets (run() does it before listening). */
    configureBuckets(): Promise<void>;
    /** The request handler, for a node:http server of one's own. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
}
