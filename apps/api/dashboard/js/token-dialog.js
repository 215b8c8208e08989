/**
 * The "enter the API token" dialog. `ask(message)` opens it (once, however many callers
 * are waiting) and resolves with what the operator typed. It cannot be dismissed: with
 * API_TOKEN set, the page has nothing to show without a token.
 */
export function createTokenDialog(dialog) {
  const form = dialog.querySelector('form');
  const input = dialog.querySelector('input');
  const message = dialog.querySelector('[data-role="message"]');
  let waiting = [];

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') return;
    input.value = '';
    dialog.close();
    const resolvers = waiting;
    waiting = [];
    for (const resolve of resolvers) resolve(token);
  });
  dialog.addEventListener('cancel', (event) => event.preventDefault());

  return {
    ask(text) {
      message.textContent = text;
      if (!dialog.open) dialog.showModal();
      input.focus();
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}
