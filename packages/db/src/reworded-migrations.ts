/**
 * Checksums of earlier texts of applied migrations whose later edits changed comment
 * lines only (the statements are byte for byte the same). A database migrated with one
 * of these texts is up to date, so `migrate` accepts it instead of refusing the file as
 * edited. Any other edit of an applied migration is still refused: a change to the
 * schema goes in a new, higher-numbered file.
 *
 * Only add an entry after checking, with `git diff`, that every changed line of the file
 * starts with `--`.
 */
export const REWORDED_MIGRATION_CHECKSUMS: Readonly<Record<string, readonly string[]>> = {
  // Header comments that cited an outside document now cite docs/data-model.md and
  // docs/triggers.md.
  '0001_documented_tables': ['335153e118a5c38aa159e3719bb01626b1ada3b035b163339739dc3a5af65d2a'],
  '0002_evalq_columns_and_keys': [
    'a81e246d542049363efc1899476b9eb11a1b8adf4992d42996d0fd24d27ced6f',
  ],
  '0003_documented_triggers': ['f87cde54806143e436a86aa540d69c0c0ef5eeb05a7c9edbf9a646bd2d769d8e'],
};

/** Whether a checksum stored for an applied migration matches its file today. */
export function appliedChecksumMatches(
  name: string,
  fileChecksum: string,
  applied: string,
): boolean {
  return applied === fileChecksum || (REWORDED_MIGRATION_CHECKSUMS[name] ?? []).includes(applied);
}
