import type { Page } from 'playwright-core';

/**
 * From now on, records every address the page moves to: filters replace the history entry (no hashchange), so
 * history.replaceState is wrapped. A string, as the root tsconfig has no DOM types: runs in the page.
 */
export async function recordAddresses(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.recorded = [];
    const replace = history.replaceState.bind(history);
    history.replaceState = (state, unused, url) => { window.recorded.push(String(url)); return replace(state, unused, url); };
  })()`);
}

/** The addresses recorded since recordAddresses, decoded. */
export async function recordedAddresses(page: Page): Promise<string[]> {
  return (await page.evaluate<string[]>('window.recorded')).map((address) => decodeURIComponent(address));
}
