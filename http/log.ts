/** Structured JSON logging, one line per event; secrets never reach it. */

export type LogFields = Record<string, unknown>;
export type Logger = (level: "debug" | "info" | "warn" | "error", fields: LogFields) => void;

const ORDER = { debug: 0, info: 1, warn: 2, error: 3 } as const;

/** Returns a logger writing JSON lines to stdout at or above `minLevel`. */
export function jsonLogger(minLevel: keyof typeof ORDER = "info"): Logger {
  return (level, fields) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    console.log(JSON.stringify({ ts: new Date().toISOString(), level, ...fields }));
  };
}

/** Query parameters whose values are secrets. */
const SECRET_PARAMS = /^(t|token|access_token|key|admin_key|api_key)$/i;

/** Returns a path+query with the values of secret query parameters replaced by `***`. */
export function redactUrl(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf("?");
  if (q < 0) return pathAndQuery;
  const query = pathAndQuery.slice(q + 1).split("&").map((part) => {
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // keep the raw name
    }
    return SECRET_PARAMS.test(decoded) && eq >= 0 ? `${name}=***` : part;
  });
  return `${pathAndQuery.slice(0, q)}?${query.join("&")}`;
}
