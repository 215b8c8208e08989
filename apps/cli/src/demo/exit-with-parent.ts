/**
 * Preloaded (`node --import`) into the API and workers that `evalq demo` starts. Their
 * stdin is a pipe from the demo, and the system closes it when the demo ends, however
 * it ends (SIGKILL included). The process then stops itself as on SIGTERM, gracefully,
 * so a demo that dies leaves nothing running behind it.
 */
const stopSelf = (): void => {
  process.kill(process.pid, 'SIGTERM');
};
process.stdin.once('end', stopSelf);
process.stdin.once('error', stopSelf);
process.stdin.resume();
// Watching stdin must not keep a stopped process alive.
(process.stdin as { unref?: () => void }).unref?.();

export {};
