/**
 * Reads a Server-Sent Events body (text/event-stream) from a fetch response. The
 * browser's EventSource cannot send an Authorization header, so the page streams the
 * response itself. Calls `onEvent({ type, data })` per event, `onBytes()` whenever
 * anything arrives (heartbeat comments included) and `onRetry(ms)` for a `retry:`
 * field. Resolves when the stream ends; rejects when it is aborted or breaks.
 */
export async function readEventStream(body, { onEvent, onBytes = () => {}, onRetry = () => {} }) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let type = '';
  let data = [];

  const dispatch = () => {
    if (data.length > 0) onEvent({ type: type || 'message', data: data.join('\n') });
    type = '';
    data = [];
  };
  const readLine = (line) => {
    if (line === '') return dispatch();
    if (line.startsWith(':')) return undefined; // a comment: heartbeat
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
    return undefined;
  };

  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onBytes();
    buffer += value;
    let start = 0;
    for (let i = buffer.search(/[\r\n]/); i >= 0 && i < buffer.length;) {
      // A CR at the end may be the first half of a CRLF: wait for the next chunk.
      if (buffer[i] === '\r' && i === buffer.length - 1) break;
      readLine(buffer.slice(start, i));
      start = buffer[i] === '\r' && buffer[i + 1] === '\n' ? i + 2 : i + 1;
      const next = buffer.slice(start).search(/[\r\n]/);
      i = next < 0 ? -1 : start + next;
    }
    buffer = buffer.slice(start);
  }
}
