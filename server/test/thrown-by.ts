/** What `work` threw, or undefined: for asserting on an error thrown synchronously. */
export function thrownBy(work: () => void): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}
