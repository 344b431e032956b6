/** Database errors the HTTP edge maps to status codes. */

/**
 * Thrown when concurrent writers kept hiding rows from a statement; nothing of them was stored.
 * Carries SQLSTATE 40001 (serialization failure), which the edge answers with 503 + Retry-After.
 */
export class ConcurrentWriteError extends Error {
  readonly code = "40001";
  constructor(message: string) {
    super(message);
    this.name = "ConcurrentWriteError";
  }
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** Returns true when an error means "the database is unreachable or shutting down". */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (!err || typeof err !== "object") return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== "string") {
    const cause = (err as { cause?: unknown }).cause;
    return cause !== undefined && cause !== err ? isDatabaseUnavailable(cause) : false;
  }
  // SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now),
  // 53300 (too many connections).
  return CONNECTION_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code) ||
    code === "53300";
}

/** Returns the SQLSTATE of a postgres error, or undefined. */
export function sqlState(err: unknown): string | undefined {
  if (!err || typeof err !== "object") return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Returns `host:port` and the database name of a postgres URL (never its credentials). */
function whereOf(databaseUrl: string): { at: string; name: string } {
  try {
    const url = new URL(databaseUrl);
    const name = decodeURIComponent(url.pathname.replace(/^\//, "")) || "(default)";
    return { at: `${url.hostname || "localhost"}:${url.port || "5432"}`, name };
  } catch {
    return { at: "(unparsable DATABASE_URL)", name: "(unknown)" };
  }
}

/**
 * Returns the one line an operator reads when the database cannot be used at start (unreachable,
 * nonexistent, credentials refused), naming host, port and database; null for any other error.
 */
export function startupFailure(err: unknown, databaseUrl: string | null): string | null {
  if (databaseUrl === null) return null;
  const { at, name } = whereOf(databaseUrl);
  const code = sqlState(err) ?? (err as { code?: unknown } | null)?.code;
  if (code === "3D000") return `Database "${name}" does not exist on ${at} (DATABASE_URL).`;
  if (code === "28P01" || code === "28000") {
    return `The database server at ${at} refused the credentials for database "${name}".`;
  }
  if (isDatabaseUnavailable(err)) {
    return `Cannot reach the database server at ${at} (database "${name}"): ${
      typeof code === "string" ? code : err instanceof Error ? err.message : String(err)
    }.`;
  }
  return null;
}
