/** Typed domain errors. The HTTP edges map each kind to one status code (http/errors.ts). */

export type ErrorKind =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_many_requests"
  | "payload_too_large"
  | "unsupported_media_type"
  | "unprocessable";

/** A failure the caller caused; its message is safe to show to that caller. */
export class DomainError extends Error {
  /** `options.cause`: the failure behind this one (kept for the log, never shown). */
  constructor(readonly kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DomainError";
  }
}

/** A refused credential (missing, malformed, wrong, or for another user): repeated ones are
 * rate-limited per client. */
export class CredentialError extends DomainError {
  constructor(kind: "unauthorized" | "forbidden", message: string, options?: { cause?: unknown }) {
    super(kind, message, options);
    this.name = "CredentialError";
  }
}

/** Returns a 401-kind credential error. */
export const badCredentials = (message: string) => new CredentialError("unauthorized", message);
/** Returns a 403-kind credential error. */
export const deniedCredentials = (message: string) => new CredentialError("forbidden", message);

/** Returns a 400-kind error. */
export const badRequest = (message: string) => new DomainError("bad_request", message);
/** Returns a 403-kind error. */
export const forbidden = (message: string) => new DomainError("forbidden", message);
/** Returns a 404-kind error. */
export const notFound = (message: string) => new DomainError("not_found", message);
/** Returns a 409-kind error. */
export const conflict = (message: string) => new DomainError("conflict", message);
/** Returns a 413-kind error (a value larger than its documented cap). */

/** Returns a 413-kind error. */
export const payloadTooLarge = (message: string) => new DomainError("payload_too_large", message);
/** Returns a 415-kind error. */
export const unsupportedMedia = (message: string) =>
  new DomainError("unsupported_media_type", message);
/** Returns a 422-kind error (content that fails its own check, e.g. a checksum). */
export const unprocessable = (message: string) => new DomainError("unprocessable", message);

/**
 * Stored data broke an invariant the code relies on (e.g. an aggregate read from the database
 * that no valid rows can produce). Not the caller's fault: the edge logs it as a bug and answers
 * 500; its message is for the log only.
 */
export class InvariantViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvariantViolation";
  }
}
