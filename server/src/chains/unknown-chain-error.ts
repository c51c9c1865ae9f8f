/** No chain (recorded by a runner) has this id: it has no events to follow. */
export class UnknownChainError extends Error {
  override name = 'UnknownChainError';
  constructor(readonly chainId: string) {
    super(`no chain ${chainId}`);
  }
}
