/** Durations in milliseconds, so configuration reads as `5 * SECOND`. */
export const SECOND = 1000;
