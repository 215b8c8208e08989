import { h, setText } from './dom.js';
import { formatDateTime } from './format.js';

/**
 * A run's share controls: "Share" makes a read-only link (POST /v1/runs/:id/share),
 * shows it and copies it to the clipboard; "Revoke links" ends every link of the run
 * (DELETE /v1/runs/:id/share). Where the clipboard is not allowed (a page served over
 * plain http from another host), the link is selected for Ctrl+C instead.
 */
export function createShareBox({ api }) {
  const share = h('button', { type: 'button', class: 'share-button', text: 'Share…' });
  const revoke = h('button', {
    type: 'button',
    class: 'quiet revoke-button',
    text: 'Revoke links',
  });
  const link = h('input', {
    type: 'text',
    class: 'share-link',
    readonly: true,
    'aria-label': 'Share link',
    hidden: true,
  });
  const message = h('p', { class: 'notice share-message', role: 'status' });
  const element = h(
    'div',
    { class: 'share-box' },
    h('div', { class: 'actions' }, share, revoke),
    link,
    message,
  );
  let runId = null;

  async function copy(url) {
    try {
      await navigator.clipboard.writeText(url);
      return true;
    } catch {
      link.focus();
      link.select();
      return false;
    }
  }

  share.addEventListener('click', async () => {
    share.disabled = true;
    try {
      const made = await api.sendJson('POST', `/v1/runs/${runId}/share`, {});
      const url = new URL(made.url, location.origin).href;
      link.value = url;
      link.hidden = false;
      const copied = await copy(url);
      setText(
        message,
        `${copied ? 'Link copied to the clipboard' : 'Link made: press Ctrl+C (⌘C) to copy it'}. ` +
          `Anyone with it can read this run's results (no API token) until ${formatDateTime(made.expires_at)}.`,
      );
    } catch (error) {
      setText(message, `Could not make a link: ${error.message}`);
    } finally {
      share.disabled = false;
    }
  });

  revoke.addEventListener('click', async () => {
    revoke.disabled = true;
    try {
      const result = await api.sendJson('DELETE', `/v1/runs/${runId}/share`);
      link.hidden = true;
      link.value = '';
      setText(
        message,
        result.revoked === 0
          ? 'This run had no active link.'
          : `${result.revoked} link${result.revoked === 1 ? '' : 's'} revoked: they now answer “expired or revoked”.`,
      );
    } catch (error) {
      setText(message, `Could not revoke: ${error.message}`);
    } finally {
      revoke.disabled = false;
    }
  });

  return {
    element,
    /** For the run `id`, with nothing shown yet. */
    reset(id) {
      runId = id;
      link.hidden = true;
      link.value = '';
      setText(message, '');
    },
  };
}
