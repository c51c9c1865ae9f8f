// npm runs this as the root package's `prepare`, after `npm install` and `npm ci`: it installs the git hooks that
// package.json's "simple-git-hooks" names (the pre-push deploy). Plain JavaScript, because it must also run after
// `npm ci --omit=dev`, where neither tsx nor simple-git-hooks is installed; then, on CI (which pushes nothing) and
// outside a git work tree it says in one line why it does nothing, and never fails the install.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

function skip(reason) {
  console.log(`git hooks: not installed: ${reason}`);
}

async function install() {
  if (process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') return skip('CI is set');
  let simpleGitHooks;
  try {
    simpleGitHooks = createRequire(import.meta.url)('simple-git-hooks');
  } catch {
    return skip('simple-git-hooks is not installed (an install without devDependencies)');
  }
  // SKIP_INSTALL_SIMPLE_GIT_HOOKS=1 is simple-git-hooks' own switch; it prints its own line.
  if (simpleGitHooks.skipInstall()) return;
  // Outside a git work tree (a tarball, a container copy) simple-git-hooks says so itself and writes nothing.
  try {
    await simpleGitHooks.setHooksFromConfig(projectRoot);
  } catch (error) {
    skip(error instanceof Error ? error.message : String(error));
  }
}

await install();
