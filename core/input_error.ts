/**
 * Typed error for invalid input to a pure core/ function.
 *
 * Thrown when a caller passes data that violates a function's documented contract. It is a
 * `DomainError` of kind `bad_request`, so the HTTP edge maps it to 400 without string matching.
 */
import { DomainError } from "./errors.ts";

/** Invalid argument to a core/ function; the message names the offending input. */
export class CoreInputError extends DomainError {
  constructor(message: string) {
    super("bad_request", message);
    this.name = "CoreInputError";
  }
}
