/** Durations in milliseconds, so configuration reads as `5 * SECOND`. */
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
