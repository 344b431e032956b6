/**
 * The checks of the fuzz run (tests/security/fuzz_test.ts): no 5xx, X-Request-ID on every answer,
 * 413 over 1 MiB, the documented `{"detail": …}` shape on JSON errors, JSON on API paths.
 */
import type { Case } from "./_fuzz_cases.ts";

/** Returns why a JSON error body breaks the documented shape, or null when it is fine. */
export function detailProblem(status: number, body: unknown): string | null {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "not an object";
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== "detail") return `keys ${JSON.stringify(keys)}`;
  const detail = (body as { detail: unknown }).detail;
  if (status === 422) {
    if (!Array.isArray(detail) || detail.length === 0) return "422 detail is not a non-empty array";
    for (const issue of detail) {
      if (typeof issue !== "object" || issue === null) return "422 issue is not an object";
      const { loc, msg, type } = issue as Record<string, unknown>;
      if (
        !Array.isArray(loc) || !loc.every((p) => typeof p === "string" || typeof p === "number")
      ) {
        return "422 loc is not an array of strings/numbers";
      }
      if (typeof msg !== "string" || typeof type !== "string") return "422 msg/type not strings";
    }
    return null;
  }
  return typeof detail === "string" && detail.length > 0 ? null : "detail is not a string";
}

/** Pages answer HTML (or text for the sign-out guard); everything else answers JSON. */
const PAGE_PATH = [
  /^\/$/,
  /^\/players\/[^/]+$/,
  /^\/player$/,
  /^\/company$/,
  /^\/engagement(\/[^/]+)?$/,
  /^\/logout$/,
  /^\/static\//,
  /^\/docs$/,
];

/** Returns whether a path is a page (HTML or text answers allowed). */
export function isPagePath(path: string): boolean {
  const pathname = new URL(path, "http://localhost").pathname;
  return PAGE_PATH.some((re) => re.test(pathname));
}

/** Returns a case as one line (what a failure prints). */
export function describe(c: Case): string {
  let body = "";
  if (typeof c.body === "string") body = JSON.stringify(c.body.slice(0, 160));
  else if (c.body instanceof Uint8Array) body = `bytes[${c.body.length}] ${c.body.slice(0, 24)}`;
  else if (c.body) body = `stream(${c.body.streamBytes} bytes)`;
  const headers = Object.fromEntries(
    Object.entries(c.headers).map((
      [k, v],
    ) => [k, v.length > 80 ? `${v.slice(0, 40)}…(${v.length})` : v]),
  );
  return `#${c.n} [${c.kind}] app=${c.app} ${c.method} ${c.path.slice(0, 160)}` +
    `${c.path.length > 160 ? `…(${c.path.length})` : ""} headers=${JSON.stringify(headers)} ` +
    `body=${body}`;
}

/** Returns the RequestInit that sends `c` (a stream for `streamBytes` bodies). */
export function requestInit(c: Case): RequestInit {
  const init: RequestInit & { duplex?: "half" } = { method: c.method, headers: c.headers };
  if (c.body === undefined) return init;
  if (typeof c.body === "string" || c.body instanceof Uint8Array) {
    init.body = c.body as BodyInit;
    return init;
  }
  let left = c.body.streamBytes;
  init.body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const size = Math.min(left, 128 * 1024);
      if (size <= 0) return controller.close();
      controller.enqueue(new Uint8Array(size).fill(0x20));
      left -= size;
    },
  });
  init.duplex = "half";
  return init;
}

export interface Outcome {
  status: number;
  problem: string | null;
}

/** Returns the status of the answer to `c` and what is wrong with it (null when nothing). */
export async function check(c: Case, res: Response): Promise<Outcome> {
  const text = c.method === "HEAD" ? "" : await res.text();
  const type = res.headers.get("content-type") ?? "";
  if (res.status >= 500) {
    return { status: res.status, problem: `${res.status}: ${text.slice(0, 200)}` };
  }
  if (!res.headers.get("x-request-id")) return { status: res.status, problem: "no X-Request-ID" };
  if (c.kind === "enormous" && res.status !== 413) {
    return { status: res.status, problem: `body over 1 MiB answered ${res.status}, not 413` };
  }
  if (c.kind === "one-mib" && res.status === 413) {
    return { status: res.status, problem: "a body of exactly 1 MiB answered 413" };
  }
  if (res.status >= 400 && c.method !== "HEAD") {
    if (type.startsWith("application/json")) {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return { status: res.status, problem: `invalid JSON error body: ${text.slice(0, 120)}` };
      }
      const problem = detailProblem(res.status, body);
      if (problem) return { status: res.status, problem: `${problem}: ${text.slice(0, 160)}` };
    } else if (!isPagePath(c.path) && text !== "") {
      return { status: res.status, problem: `non-JSON ${type} 4xx on an API path` };
    }
  }
  if (res.status < 300 && type.startsWith("application/json") && c.method !== "HEAD") {
    try {
      JSON.parse(text);
    } catch {
      return { status: res.status, problem: "invalid JSON success body" };
    }
  }
  return { status: res.status, problem: null };
}
