export {
  startLocalPostgres,
  type LocalPostgres,
  type LocalPostgresOptions,
} from './local-postgres.js';
export { LocalPostgresError, type LocalPostgresErrorCode } from './local-postgres-error.js';
export { ROOT_FALLBACK_DIR } from './server-places.js';
