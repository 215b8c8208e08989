/**
 * The page a share link shows when it does not open a run: fixed text only (nothing
 * from the request), styled by the dashboard's stylesheet.
 */
export function shareGonePage(status: 404 | 410): string {
  const title = status === 410 ? 'This link has expired' : 'No such link';
  const message =
    status === 410
      ? 'This share link expired or was revoked. Ask whoever sent it for a new one.'
      : 'This share link does not exist. Check that it was copied whole.';
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>evalq: ${title}</title>
    <link rel="stylesheet" href="/dashboard/dashboard.css" />
  </head>
  <body class="share">
    <main>
      <h1>${title}</h1>
      <p class="notice">${message}</p>
    </main>
  </body>
</html>
`;
}
