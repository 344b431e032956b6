/**
 * Company identity (docs/design.md "Company identity and dashboards").
 *
 * Reproduces the legacy system byte for byte so its company ids and dashboard tokens stay valid:
 * `s = name.lower().strip(); s = re.sub(r"\s+", " ", s); s = re.sub(r"[^\w\s]", "", s)`
 * with Python 3's Unicode `str` semantics, then sha256 over the UTF-8 bytes.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** Allowed shape of a client-supplied `company_id`. */
export const COMPANY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Python's whitespace (`str.isspace()`, which is also what `re`'s `\s` matches in a str pattern):
 * categories Zs plus bidi classes B, S, WS. Unlike JS `\s` it includes U+001C–U+001F and U+0085
 * and excludes U+FEFF.
 */
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, "gu");
const PY_LEADING_SPACE = new RegExp(`^[${PY_SPACE}]+`, "u");
const PY_TRAILING_SPACE = new RegExp(`[${PY_SPACE}]+$`, "u");
/**
 * Not a Python `\w` (letters L*, numbers N*, `_` — no combining marks) and not whitespace. After
 * the whitespace collapse the only whitespace left is U+0020.
 */
const NOT_WORD_OR_SPACE = /[^\p{L}\p{N}_ ]/gu;

/** Returns the lowercase hex sha256 of the UTF-8 bytes of a string. */
function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** Returns the legacy system's normalized company name (lowercase, trimmed, spaces collapsed, no punctuation). */
export function normalizeCompanyName(name: string): string {
  let s = name.toLowerCase().replace(PY_LEADING_SPACE, "").replace(PY_TRAILING_SPACE, "");
  s = s.replace(PY_SPACE_RUN, " ");
  return s.replace(NOT_WORD_OR_SPACE, "");
}

/** Returns `"c_"` + the first 12 hex chars of sha256(normalized name + company salt). */
export function companyIdFor(companyName: string, companySalt: string): string {
  return "c_" + sha256Hex(normalizeCompanyName(companyName) + companySalt).slice(0, 12);
}

/** Returns the first 24 hex chars of sha256(company id + dashboard token salt). */
export function dashboardTokenFor(companyId: string, dashboardTokenSalt: string): string {
  return sha256Hex(companyId + dashboardTokenSalt).slice(0, 24);
}

/** Returns the SHA-256 digest of a string's UTF-16 code units (lone surrogates stay distinct). */
export function secretDigest(value: string): Uint8Array {
  // Hashing gives equal-length buffers, so comparing digests leaks neither content nor length.
  // UTF-16 code units are hashed as-is (UTF-8 would map every lone surrogate to U+FFFD).
  const units = new Uint16Array(value.length);
  for (let i = 0; i < value.length; i++) units[i] = value.charCodeAt(i);
  return createHash("sha256").update(new Uint8Array(units.buffer)).digest();
}

/** Returns whether two digests of `secretDigest` are equal, in constant time. */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return timingSafeEqual(a, b);
}

/** Returns whether two strings are equal, in time independent of where (or whether) they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  return digestsEqual(secretDigest(a), secretDigest(b));
}
