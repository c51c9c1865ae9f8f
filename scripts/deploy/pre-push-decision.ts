/** One line of what git writes to a pre-push hook's stdin: `<local ref> <local sha> <remote ref> <remote sha>`. */
export interface PushedRef {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

export type PrePushDecision =
  | { action: 'deploy'; sha: string }
  /** Nothing to deploy: the push goes on. */
  | { action: 'skip'; reason: string }
  /** Deploying would publish something other than what is pushed: the push stops. */
  | { action: 'refuse'; reason: string };

export interface PrePushFacts {
  refs: readonly PushedRef[];
  /** CHAINLOG_DEPLOY_BRANCH (default main). */
  branch: string;
  bucketSet: boolean;
  /** The commit the work tree is at: what the deploy would build. */
  headSha: string;
  /** Uncommitted changes to tracked files that go into the bundle (client/, shared/, the lockfile). */
  changedBundleFiles: readonly string[];
}

const DELETED = /^0+$/;

/** Parses the hook's stdin; lines that are not four fields are ignored. */
export function parsePushedRefs(input: string): PushedRef[] {
  return input
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields): fields is [string, string, string, string] => fields.length === 4)
    .map(([localRef, localSha, remoteRef, remoteSha]) => ({ localRef, localSha, remoteRef, remoteSha }));
}

function short(sha: string): string {
  return sha.slice(0, 8);
}

/**
 * Whether this push deploys: only when it updates the deploy branch on the remote and a bucket is configured, and
 * only when the work tree holds exactly what is pushed (the deploy builds the work tree, not the pushed commit).
 */
export function decidePrePush({ refs, branch, bucketSet, headSha, changedBundleFiles }: PrePushFacts): PrePushDecision {
  if (!bucketSet) return { action: 'skip', reason: 'CHAINLOG_DEPLOY_BUCKET is not set' };
  const target = `refs/heads/${branch}`;
  const update = refs.find((ref) => ref.remoteRef === target && !DELETED.test(ref.localSha));
  if (!update) {
    const pushed = refs.map((ref) => ref.remoteRef.replace(/^refs\/heads\//, '')).join(', ') || 'nothing';
    return { action: 'skip', reason: `this push updates ${pushed}, not ${branch} (CHAINLOG_DEPLOY_BRANCH)` };
  }
  if (update.localSha !== headSha) {
    return {
      action: 'refuse',
      reason: `${branch} is pushed at ${short(update.localSha)} but the work tree is at ${short(headSha)}, which is what a deploy would build: check out ${short(update.localSha)} and push again, or push with --no-verify to skip the deploy`,
    };
  }
  if (changedBundleFiles.length > 0) {
    return {
      action: 'refuse',
      reason: `uncommitted changes would go into the bundle (${changedBundleFiles.join(', ')}): commit or undo them and push again, or push with --no-verify to skip the deploy`,
    };
  }
  return { action: 'deploy', sha: update.localSha };
}
