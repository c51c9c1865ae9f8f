import path from 'node:path';
import { sql } from 'kysely';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAddresses, recordedAddresses } from './recorded-addresses.js';
import { type SeededApp, startSeededApp } from './seeded-app.js';

const WAIT = { timeout: 15_000 };
const DESKTOP = { width: 1360, height: 900 };
const PHONE = { width: 375, height: 800 };
// Pages ask for reduced motion, which the charts honour: screenshots show the bars drawn, not growing.
const CHARTS = [
  'chart-calls',
  'chart-errors',
  'chart-latency-tasks',
  'chart-latency-models',
  'chart-cost',
  'chart-tokens',
];

/** What each chart card drew: its legend's labels and how many marks (bars, lines) its SVG holds. */
interface DrawnChart {
  testId: string;
  legend: string[];
  marks: number;
  width: number;
}

/** Read in the page in one evaluate; a string, as the root tsconfig has no DOM types. */
async function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate<DrawnChart[]>(`${JSON.stringify(CHARTS)}.map((testId) => {
    const card = document.querySelector('[data-testid="' + testId + '"]');
    const svg = card?.querySelector('svg.MuiChartsSvgLayer-root');
    return {
      testId,
      legend: [...(card?.querySelectorAll('.MuiChartsLegend-label') ?? [])].map((label) => label.textContent ?? ''),
      marks: svg?.querySelectorAll('.MuiBarChart-element, .MuiLineChart-line').length ?? 0,
      width: svg?.getBoundingClientRect().width ?? 0,
    };
  })`);
}

describe('the Stats page in Chromium', () => {
  let app: SeededApp;
  let server: SeededApp['server'];
  let browser: SeededApp['browser'];
  let api: SeededApp['api'];

  beforeAll(async () => {
    // Two thousand attempts over the last 60 days: several tasks, models, retries and failures.
    app = await startSeededApp({ logs: 2_000, suite: 'stats' });
    ({ server, browser, api } = app);
  });

  afterAll(() => app?.close());

  it('draws every chart from stats.overview, loading the charts code only when the page is opened', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, reducedMotion: 'reduce' });
    const pageErrors: Error[] = [];
    page.on('pageerror', (error) => pageErrors.push(error));
    const scripts: string[] = [];
    page.on('request', (request) => scripts.push(path.posix.basename(new URL(request.url()).pathname)));

    await page.goto(server.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stats' }).waitFor(WAIT);
    expect(scripts.some((name) => name.startsWith('stats-page-'))).toBe(false);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Stats' }).click();
    await page.getByTestId('stats-totals').waitFor(WAIT);
    expect(scripts.some((name) => name.startsWith('stats-page-'))).toBe(true);

    const overview = await api.stats.overview({});
    expect(overview.totals.calls).toBeGreaterThan(100);
    await expect.poll(async () => (await drawnCharts(page)).every((chart) => chart.marks > 0), WAIT).toBe(true);
    const charts = await drawnCharts(page);
    const byId = (testId: string) => charts.find((chart) => chart.testId === testId);
    // Calls are stacked by task, cost by model: each legend names what the server aggregated.
    expect(byId('chart-calls')?.legend).toEqual(overview.tasks.map((task) => task.name));
    expect(byId('chart-cost')?.legend).toEqual(overview.models.map((model) => `${model.provider}:${model.model}`));
    expect(byId('chart-latency-tasks')?.legend).toEqual(['p50', 'p95']);
    expect(byId('chart-tokens')?.legend).toEqual(['Input', 'Output']);
    // Two columns of charts side by side on a desktop.
    for (const chart of charts) expect(chart.width).toBeGreaterThan(450);
    const totals = await page.getByTestId('stats-totals').innerText();
    expect(totals).toContain(
      new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(overview.totals.calls),
    );
    await page.screenshot({ path: path.join(app.screenshots, '1-stats-30-days.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('narrows to a preset range and a task, kept in the address', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, reducedMotion: 'reduce' });
    await page.goto(`${server.url}/#/stats`);
    await page.getByTestId('stats-totals').waitFor(WAIT);
    await page.getByRole('button', { name: '7 days' }).click();
    await page.getByRole('combobox', { name: 'Task' }).click();
    await page.getByRole('option', { name: 'reply drafting' }).click();

    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/stats?days=7&name=reply+drafting');
    await expect
      .poll(async () => (await drawnCharts(page)).find((chart) => chart.testId === 'chart-calls')?.legend, WAIT)
      .toEqual(['reply drafting']);
    const overview = await api.stats.overview({
      from: new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10),
      name: 'reply drafting',
    });
    const latency = (await drawnCharts(page)).find((chart) => chart.testId === 'chart-latency-models');
    expect(overview.latency.models.length).toBeGreaterThan(0);
    expect(latency?.marks).toBeGreaterThanOrEqual(overview.latency.models.length);
    await page.screenshot({ path: path.join(app.screenshots, '2-stats-7-days-reply-drafting.png'), fullPage: true });
    await page.close();
  });

  it('takes two days given in either order as a range, and keeps a range the server would refuse to its last 366 days, saying so', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, reducedMotion: 'reduce' });
    await page.goto(`${server.url}/#/stats?from=2026-11-20&to=2026-11-14`);
    await page.getByTestId('stats-totals').waitFor(WAIT);
    expect(await page.getByLabel('From (UTC day)').inputValue()).toBe('2026-11-14');
    expect(await page.getByLabel('To (UTC day)').inputValue()).toBe('2026-11-20');
    expect(await page.getByTestId('stats-range-shortened').count()).toBe(0);

    await page.goto(`${server.url}/#/stats?from=2020-01-01&to=2026-11-20`);
    await expect.poll(() => page.getByLabel('From (UTC day)').inputValue(), WAIT).toBe('2025-11-20');
    await page.getByTestId('stats-totals').waitFor(WAIT);
    expect(await page.getByTestId('error-state').count()).toBe(0);
    // Said, not silent.
    expect(await page.getByTestId('stats-range-shortened').innerText()).toContain('began on 2020-01-01');
    await page.close();
  });

  it('applies a day typed on the keyboard once it is typed, not at each digit of its month, day or year', async () => {
    const page = await browser.newPage({ viewport: DESKTOP, reducedMotion: 'reduce', locale: 'en-US' });
    await page.goto(`${server.url}/#/stats?from=2026-11-14&to=2026-11-20`);
    await page.getByTestId('stats-totals').waitFor(WAIT);
    await recordAddresses(page);

    // mm/dd/yyyy in this locale: Chromium moves to the next part by itself.
    await page.getByLabel('From (UTC day)').focus();
    await page.keyboard.type('11012026');

    await expect.poll(() => new URL(page.url()).hash, WAIT).toBe('#/stats?from=2026-11-01&to=2026-11-20');
    expect(await page.getByLabel('From (UTC day)').inputValue()).toBe('2026-11-01');
    // Typed 2, 0, 2, 6, the year was never 0002 or 0202 in the address (the range it made was cut to 366 days); and
    // the month's first digit (2026-01-14: the year was whole already, as it is in a year-first locale) never either.
    expect(await recordedAddresses(page)).toEqual(['#/stats?from=2026-11-01&to=2026-11-20']);
    await page.close();
  });

  it('says why in place of a chart that would draw only zeros: no failed attempt, no cost', async () => {
    // Two answers of the offline provider on days long before the seed's 60: free, and neither failed.
    await sql`insert into inference_log (id, chain_id, name, provider, model, status, attempt, request, cost_usd,
        price_source, latency_ms, input_tokens, output_tokens, created_at, finished_at)
      select gen_random_uuid(), gen_random_uuid(), 'intent recognition', 'offline', 'default', 'ok', 1, '{}'::jsonb, 0,
        'offline', 2, 260, 25, day, day + interval '2 milliseconds'
      from unnest(array['2025-01-10T09:00:00Z', '2025-01-11T09:00:00Z']::timestamptz[]) as day`.execute(
      server.dependencies.db,
    );
    const page = await browser.newPage({ viewport: DESKTOP, reducedMotion: 'reduce' });
    await page.goto(`${server.url}/#/stats?from=2025-01-09&to=2025-01-12`);
    await expect
      .poll(async () => (await drawnCharts(page)).find((chart) => chart.testId === 'chart-calls')?.marks, WAIT)
      .toBeGreaterThan(0);

    const notes = await page.evaluate<Record<string, string>>(`Object.fromEntries(${JSON.stringify(CHARTS)}.map(
      (testId) => [testId, document.querySelector('[data-testid="' + testId + '"] [data-testid="chart-note"]')?.textContent ?? null]))`);
    expect(notes).toEqual({
      'chart-calls': null,
      'chart-errors': 'No attempt failed in this range.',
      'chart-latency-tasks': null,
      'chart-latency-models': null,
      'chart-cost': expect.stringMatching(
        /^Nothing in this range cost anything: the offline provider's answers are free/,
      ),
      'chart-tokens': null,
    });
    const marks = Object.fromEntries((await drawnCharts(page)).map((chart) => [chart.testId, chart.marks]));
    expect(marks['chart-errors']).toBe(0);
    expect(marks['chart-cost']).toBe(0);
    expect(marks['chart-tokens']).toBeGreaterThan(0);
    // A day of one call: its axis counts whole calls, with no tick at half a call.
    const ticks = await page.evaluate<string[]>(`[...document.querySelectorAll(
      '[data-testid="chart-calls"] .MuiChartsAxis-directionY .MuiChartsAxis-tickLabel')].map((tick) => tick.textContent)`);
    expect(ticks).toEqual(['0', '1']);
    await page.screenshot({ path: path.join(app.screenshots, '4-stats-nothing-failed-or-cost.png'), fullPage: true });
    await page.close();
  });

  it('stacks the charts in one column on a phone without widening the page', async () => {
    const page = await browser.newPage({ viewport: PHONE, reducedMotion: 'reduce' });
    await page.goto(`${server.url}/#/stats`);
    await expect.poll(async () => (await drawnCharts(page)).every((chart) => chart.marks > 0), WAIT).toBe(true);
    await page.screenshot({ path: path.join(app.screenshots, '3-stats-phone.png'), fullPage: true });
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.close();
  });
});
