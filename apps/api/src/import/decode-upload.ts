import { payloadTooLarge } from '../api-error.js';
import { uploadError } from './row-error.js';

/**
 * The upload's bytes as text, as they arrive: counted against the limit (413 as soon as
 * it is passed, whatever Content-Length claimed) and decoded as strict UTF-8 (a byte
 * sequence that is not UTF-8 is a 400, never silently replaced). A leading BOM is dropped.
 */
export async function* decodeUpload(
  body: AsyncIterable<Buffer | string>,
  limitBytes: number,
): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  for await (const chunk of body) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += buffer.length;
    if (bytes > limitBytes) throw payloadTooLarge(limitBytes);
    let text: string;
    try {
      text = decoder.decode(buffer, { stream: true });
    } catch {
      throw uploadError(`the upload is not valid UTF-8 (within its first ${bytes} bytes)`);
    }
    if (text.length > 0) yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    throw uploadError('the upload is not valid UTF-8 (it ends inside a multi-byte character)');
  }
  if (rest.length > 0) yield rest;
}
