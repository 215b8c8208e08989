import { unsupportedMediaType } from '../api-error.js';

export type UploadFormat = 'csv' | 'ndjson' | 'json';

const FORMATS: Record<string, UploadFormat> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
  'application/json': 'json',
};

export const ACCEPTED_UPLOAD_TYPES = ['application/json', 'application/x-ndjson', 'text/csv'];

/** The upload format from Content-Type; only UTF-8 (or no charset) is accepted. */
export function uploadFormat(contentType: string | undefined): UploadFormat {
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';');
  const format = FORMATS[mediaType.trim().toLowerCase()];
  const charset = parameters
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (!format || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw unsupportedMediaType(
      contentType,
      ACCEPTED_UPLOAD_TYPES.map((t) => `${t} (UTF-8)`),
    );
  }
  return format;
}
