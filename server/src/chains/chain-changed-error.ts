/** The chain's code asked for other steps than the ones its stored run made: its journal cannot be replayed. */
export class ChainChangedError extends Error {
  override name = 'ChainChangedError';
  constructor(step: number, recorded: string, asked: string) {
    super(
      `step ${step} was "${recorded}" when this chain ran before, and is now "${asked}": the chain's code changed, so it cannot resume`,
    );
  }
}
