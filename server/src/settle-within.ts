/** True when every promise settled within `timeoutMs`; false at once when no time is left. */
export async function settleWithin(promises: readonly Promise<unknown>[], timeoutMs: number): Promise<boolean> {
  if (timeoutMs <= 0) return false;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const settled = await Promise.race([Promise.allSettled(promises).then(() => true as const), timedOut]);
  clearTimeout(timer);
  return settled;
}
