import type { Page } from 'playwright-core';

/**
 * From now on, the tRPC calls a page makes over HTTP, by procedure: a batch (`/trpc/logs.list,logs.count?batch=1`)
 * counts each.
 */
export function countCalls(page: Page): Map<string, number> {
  const calls = new Map<string, number>();
  page.on('request', (request) => {
    const { pathname } = new URL(request.url());
    if (!pathname.startsWith('/trpc/')) return;
    for (const procedure of decodeURIComponent(pathname.slice('/trpc/'.length)).split(','))
      calls.set(procedure, (calls.get(procedure) ?? 0) + 1);
  });
  return calls;
}
