import { describe, expect, test } from 'vitest';
import { type PrePushFacts, decidePrePush, parsePushedRefs } from './pre-push-decision.js';

const HEAD = '1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c';
const OTHER = 'aaaabbbbccccddddeeeeffff0000111122223333';
const ZERO = '0000000000000000000000000000000000000000';

/** The facts of a push whose stdin is `lines`, as git writes them. */
function facts(lines: string, overrides: Partial<PrePushFacts> = {}): PrePushFacts {
  return {
    refs: parsePushedRefs(lines),
    branch: 'main',
    bucketSet: true,
    headSha: HEAD,
    changedBundleFiles: [],
    ...overrides,
  };
}

describe('the pre-push hook decides from what git writes on its stdin', () => {
  test('a push of main with a bucket set deploys the pushed commit', () => {
    expect(decidePrePush(facts(`refs/heads/main ${HEAD} refs/heads/main ${OTHER}\n`))).toEqual({
      action: 'deploy',
      sha: HEAD,
    });
  });

  test('a first push of main (no remote commit yet) deploys', () => {
    expect(decidePrePush(facts(`refs/heads/main ${HEAD} refs/heads/main ${ZERO}\n`)).action).toBe('deploy');
  });

  test('without CHAINLOG_DEPLOY_BUCKET nothing is deployed, and the line says why', () => {
    expect(decidePrePush(facts(`refs/heads/main ${HEAD} refs/heads/main ${OTHER}\n`, { bucketSet: false }))).toEqual({
      action: 'skip',
      reason: 'CHAINLOG_DEPLOY_BUCKET is not set',
    });
  });

  test('a push of other branches does not deploy, and names them', () => {
    const lines = `refs/heads/feature ${HEAD} refs/heads/feature ${ZERO}\nrefs/tags/v1 ${OTHER} refs/tags/v1 ${ZERO}\n`;
    expect(decidePrePush(facts(lines))).toEqual({
      action: 'skip',
      reason: 'this push updates feature, refs/tags/v1, not main (CHAINLOG_DEPLOY_BRANCH)',
    });
  });

  test('a local branch pushed to the remote main deploys: the remote ref decides', () => {
    expect(decidePrePush(facts(`refs/heads/release ${HEAD} refs/heads/main ${OTHER}\n`)).action).toBe('deploy');
  });

  test('CHAINLOG_DEPLOY_BRANCH names the branch that deploys', () => {
    const lines = `refs/heads/main ${HEAD} refs/heads/main ${OTHER}\n`;
    expect(decidePrePush(facts(lines, { branch: 'production' })).action).toBe('skip');
    expect(
      decidePrePush(facts(`refs/heads/production ${HEAD} refs/heads/production ${OTHER}\n`, { branch: 'production' }))
        .action,
    ).toBe('deploy');
  });

  test('deleting the remote main deploys nothing', () => {
    expect(decidePrePush(facts(`(delete) ${ZERO} refs/heads/main ${OTHER}\n`)).action).toBe('skip');
  });

  test('an empty push (everything up to date) deploys nothing', () => {
    expect(decidePrePush(facts(''))).toEqual({
      action: 'skip',
      reason: 'this push updates nothing, not main (CHAINLOG_DEPLOY_BRANCH)',
    });
  });

  test('pushing main from a work tree at another commit stops the push: the deploy would build the wrong files', () => {
    const decision = decidePrePush(facts(`refs/heads/main ${OTHER} refs/heads/main ${ZERO}\n`));
    expect(decision.action).toBe('refuse');
    expect(decision.action === 'refuse' && decision.reason).toBe(
      'main is pushed at aaaabbbb but the work tree is at 1f2e3d4c, which is what a deploy would build: check out aaaabbbb and push again, or push with --no-verify to skip the deploy',
    );
  });

  test('uncommitted changes to the client stop the push, named', () => {
    const decision = decidePrePush(
      facts(`refs/heads/main ${HEAD} refs/heads/main ${OTHER}\n`, { changedBundleFiles: ['client/src/app.tsx'] }),
    );
    expect(decision.action === 'refuse' && decision.reason).toMatch(
      /^uncommitted changes would go into the bundle \(client\/src\/app\.tsx\)/,
    );
  });
});
