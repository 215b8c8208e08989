import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The dashboard's files: apps/api/dashboard, beside src/ and dist/. This module sits two
 * levels below the package root in both (src/dashboard/, dist/dashboard/), so one
 * relative URL finds the folder whether the API runs from source (tests) or from dist/.
 * The folder is outside src/ so the container image, which drops src/, keeps it.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml; charset=utf-8',
};

export interface DashboardAsset {
  contentType: string;
  body: string;
}

/**
 * Every servable file of the dashboard, read once, keyed by its path relative to the
 * folder with forward slashes (`js/main.js`). Only these are ever served: a request
 * cannot name any other file, so no path is resolved from user input.
 */
export function loadDashboardAssets(
  dir: string = DASHBOARD_DIR,
): ReadonlyMap<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const contentType = CONTENT_TYPES[extname(entry)];
    const path = join(dir, entry);
    if (contentType === undefined || !statSync(path).isFile()) continue;
    assets.set(entry.split(sep).join('/'), { contentType, body: readFileSync(path, 'utf8') });
  }
  if (!assets.has('index.html')) {
    throw new Error(`the dashboard's index.html is missing from ${dir}`);
  }
  return assets;
}
