/**
 * What an open view listens to and has pending (the job store, the catalog, a
 * throttled read): `replace(...)` stops the previous ones and keeps these stop
 * functions; `clear()` stops them all (the view closed).
 */
export function subscriptions() {
  let current = [];
  const clear = () => {
    for (const unsubscribe of current) unsubscribe();
    current = [];
  };
  return {
    replace(...unsubscribers) {
      clear();
      current = unsubscribers;
    },
    clear,
  };
}
