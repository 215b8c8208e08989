import type { PredictionExportFormat } from '@evalq/db';

export const EXPORT_CONTENT_TYPES: Record<PredictionExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};
