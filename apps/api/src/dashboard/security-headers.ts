import type { FastifyReply } from 'fastify';

/**
 * The dashboard's Content-Security-Policy: scripts, styles and connections only from
 * this origin, no inline script or style, nothing framed or framing. Trusted Types with
 * no policy make string-to-HTML sinks (innerHTML and the like) throw in browsers that
 * support them, so untrusted text can only ever reach the page as text.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

/** Headers for every dashboard response (the page and its assets). */
export function setDashboardSecurityHeaders(reply: FastifyReply): void {
  reply
    .header('content-security-policy', DASHBOARD_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('cross-origin-resource-policy', 'same-origin');
}
