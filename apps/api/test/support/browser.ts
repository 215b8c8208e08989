// Functions passed to page.evaluate and addInitScript run in the browser. The type-check
// has no DOM library (adding one would change Node's fetch types everywhere), so they
// reach the page's globals through `page`, an untyped view of globalThis.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it). Playwright's own
 * browser download is never used. CHROMIUM_PATH points elsewhere.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Headless Chromium. `launch` gives it a fresh temporary profile (user-data-dir), removed
 * when the browser closes, and every context is a separate session (its own
 * sessionStorage), like a new browser tab from scratch.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `no Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (as .ci/run does) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** What went wrong in a page that a user could notice, or that means a script ran. */
export interface PageWatch {
  page: Page;
  /** alert/confirm/prompt dialogs the page opened (dismissed at once). */
  dialogs: string[];
  /** Uncaught exceptions. */
  errors: string[];
  /** Content-Security-Policy violations: something tried to run inline script or load what it may not. */
  violations(): Promise<string[]>;
}

/** A new page in `context` that records dialogs, uncaught errors and CSP violations. */
export async function watchedPage(context: BrowserContext): Promise<PageWatch> {
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  await page.addInitScript(() => {
    const inPage = globalThis as any;
    const seen: string[] = [];
    inPage.__cspViolations = seen;
    inPage.document.addEventListener('securitypolicyviolation', (event: any) => {
      seen.push(`${event.violatedDirective}: ${event.blockedURI} ${event.sample}`);
    });
  });
  return {
    page,
    dialogs,
    errors,
    violations: () => page.evaluate(() => (globalThis as any).__cspViolations as string[]),
  };
}

/** The dashboard's job rows by key ("model/prompt/dataset"). */
export const jobRow = (page: Page, key: string) => page.locator(`[data-job="${key}"]`).first();

/** The progress a job's bar shows (aria-valuenow), or null while the job is not on the page. */
export async function barValue(page: Page, key: string): Promise<number | null> {
  const bar = page.locator(`.jobs [data-job="${key}"] [role="progressbar"]`);
  if ((await bar.count()) === 0) return null;
  return Number(await bar.getAttribute('aria-valuenow'));
}

/**
 * Records every value each progress bar shows from now on (a MutationObserver in the
 * page), so a test can tell a bar that climbed from one that jumped to the end.
 */
export async function recordBarValues(
  page: Page,
): Promise<() => Promise<Record<string, number[]>>> {
  await page.evaluate(() => {
    const inPage = globalThis as any;
    const seen: Record<string, number[]> = {};
    const note = (bar: any) => {
      const key = bar.closest('[data-job]')?.getAttribute('data-job');
      if (!key) return;
      const value = Number(bar.getAttribute('aria-valuenow'));
      const values = (seen[key] ??= []);
      if (values[values.length - 1] !== value) values.push(value);
    };
    new inPage.MutationObserver((records: any[]) => {
      for (const record of records) {
        if (record.type === 'attributes') note(record.target);
        for (const node of record.addedNodes) {
          if (node instanceof inPage.Element)
            node.querySelectorAll('[role="progressbar"]').forEach(note);
        }
      }
    }).observe(inPage.document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
    inPage.__barValues = seen;
  });
  return () => page.evaluate(() => (globalThis as any).__barValues as Record<string, number[]>);
}

/**
 * Notes, in the page, when `count` job rows exist and when the frame after them has been
 * painted (for addInitScript: it watches from the first frame).
 */
export function timeRowsPainted(count: number): void {
  const inPage = globalThis as any;
  const tick = () => {
    if (inPage.document.querySelectorAll('.jobs [data-job]').length >= count) {
      const rowsAt = performance.now();
      inPage.requestAnimationFrame(() =>
        setTimeout(() => {
          inPage.__rowsPainted = { rowsAt, paintedAt: performance.now() };
        }, 0),
      );
      return;
    }
    inPage.requestAnimationFrame(tick);
  };
  inPage.requestAnimationFrame(tick);
}

/**
 * From now on, records which job rows (by key) the page changes in any way: text,
 * attributes or children. Returns a function reading the keys so far.
 */
export async function recordTouchedRows(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const inPage = globalThis as any;
    const touched = new Set<string>();
    new inPage.MutationObserver((records: any[]) => {
      for (const record of records) {
        const target =
          record.target instanceof inPage.Element ? record.target : record.target.parentElement;
        const key = target?.closest('[data-job]')?.getAttribute('data-job');
        if (key) touched.add(key);
      }
    }).observe(inPage.document.querySelector('.dataset-list'), {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
    inPage.__touchedRows = touched;
  });
  return () => page.evaluate(() => [...((globalThis as any).__touchedRows as Set<string>)]);
}

/** A browser, one context of it with a viewport, and a watched page in that context. */
export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  watch: PageWatch;
  page: Page;
  close(): Promise<void>;
}

export async function openBrowserSession(viewport: {
  width: number;
  height: number;
}): Promise<BrowserSession> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport });
  const watch = await watchedPage(context);
  return {
    browser,
    context,
    watch,
    page: watch.page,
    async close() {
      await context.close();
      await browser.close();
    },
  };
}
