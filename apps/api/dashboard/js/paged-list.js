/**
 * A list read page by page behind a "Load more" button: `readPage(cursor)` fetches one
 * page (`{items, next_cursor}`) and `onPage(page)` shows it; the button shows while
 * there is a next page and is disabled while one is read. `reset()` starts over (a
 * page that arrives for an earlier start is dropped).
 */
export function pagedList({ button, readPage, onPage, onError }) {
  let cursor = null;
  let generation = 0;

  async function next() {
    const mine = generation;
    button.disabled = true;
    try {
      const page = await readPage(cursor);
      if (mine !== generation) return;
      cursor = page.next_cursor;
      button.hidden = cursor === null;
      onPage(page);
    } catch (error) {
      if (mine === generation) onError(error);
    } finally {
      button.disabled = false;
    }
  }
  button.addEventListener('click', () => void next());

  return {
    next,
    reset() {
      generation += 1;
      cursor = null;
      button.hidden = true;
    },
    /** Whether every page has been read. */
    get done() {
      return cursor === null;
    },
  };
}
