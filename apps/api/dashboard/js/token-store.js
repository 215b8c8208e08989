/**
 * The API token, kept for this browser tab's session only (sessionStorage): asked once,
 * gone when the tab closes. Storage can be unavailable (privacy modes); then the token
 * lives in memory for the page's life.
 */
const KEY = 'evalq.apiToken';
let inMemory = null;

export const tokenStore = {
  get() {
    try {
      return sessionStorage.getItem(KEY) ?? inMemory;
    } catch {
      return inMemory;
    }
  },
  set(token) {
    inMemory = token;
    try {
      sessionStorage.setItem(KEY, token);
    } catch {
      // kept in memory only
    }
  },
  clear() {
    inMemory = null;
    try {
      sessionStorage.removeItem(KEY);
    } catch {
      // nothing stored
    }
  },
};
