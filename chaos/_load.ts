/** Shared pieces of the chaos runs: a fresh server database, the service, a load loop. */
import { createServerDatabase } from "../tests/helpers/db.ts";
import { type Service, startService } from "../tests/helpers/process.ts";
import { sessionEvents } from "../tests/helpers/play.ts";

export const PG_URL = Deno.env.get("CHAOS_PG_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Returns a service on a fresh database of the local server, and its cleanup. */
export async function serviceOnFreshDatabase(
  env: Record<string, string> = {},
): Promise<{ svc: Service; url: string; cleanup(): Promise<void> }> {
  const db = await createServerDatabase(PG_URL);
  const svc = await startService({ DATABASE_URL: db.url, ...env });
  return {
    svc,
    url: db.url,
    async cleanup() {
      await svc.stop().catch(() => {});
      await db.drop();
    },
  };
}

export interface Sample {
  at: number;
  ms: number;
  status: number;
}

/** Posts one unique single-attempt session; returns its status and latency. */
export async function postOne(svc: Service, session: string, player: string): Promise<Sample> {
  const [event] = sessionEvents({
    player,
    session,
    pattern: [1, 1, 1],
    start: "2026-11-20T10:00:00Z",
  });
  const at = performance.now();
  try {
    const res = await fetch(`${svc.baseUrl}/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(15_000),
    });
    await res.body?.cancel();
    return { at, ms: performance.now() - at, status: res.status };
  } catch {
    return { at, ms: performance.now() - at, status: 0 };
  }
}

/** Returns the resident set size (kB) of a process, or null. */
export function rssKb(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number | null {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Returns the status of GET path. */
export async function statusOf(svc: Service, path: string): Promise<number> {
  try {
    const res = await fetch(`${svc.baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
}
