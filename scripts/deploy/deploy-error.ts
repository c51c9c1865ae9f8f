// Symbol.for survives duplicate copies of this module, unlike instanceof (as the LLM errors do).
const DEPLOY_ERROR = Symbol.for('chainlog.deploy-error');

/** What stopped a deploy: the first four are found before anything is written to the bucket. */
export type DeployProblem = 'configuration' | 'credentials' | 'bucket' | 'build' | 'upload' | 'invalidation';

/**
 * Why `npm run deploy` (or the pre-push hook) stopped, said for a person: names the variable, bucket or file, never a
 * secret. `problem` says which stage; a `cause` keeps the SDK's error for debugging.
 */
export class DeployError extends Error {
  readonly [DEPLOY_ERROR] = true;
  readonly problem: DeployProblem;

  constructor(problem: DeployProblem, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeployError';
    this.problem = problem;
  }

  static isInstance(error: unknown): error is DeployError {
    return typeof error === 'object' && error !== null && DEPLOY_ERROR in error;
  }
}
