/**
 * The one Content-Security-Policy of every HTML answer (pages and the API docs): this origin
 * only, no inline scripts or styles, no framing; `data:` images for the docs stylesheet's icons.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  // The fleet device page's <audio> players stream from this origin (default-src covers it;
  // named so that a later change of default-src cannot silence them).
  "media-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");
