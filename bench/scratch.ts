/**
 * Scratch databases and ports of the benchmark tools (bench/ imports nothing from tests/): a fresh
 * empty database on a PostgreSQL server per contender, dropped again afterwards.
 */
import { createScratchDatabase as createScratch, type ScratchDatabase } from "../db/scratch.ts";

const PREFIX = "etl_bench_";

/** Returns a free loopback port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Returns an empty database created on the server at `baseUrl` (not migrated) and its drop. */
export function createScratchDatabase(baseUrl: string): Promise<ScratchDatabase> {
  return createScratch(baseUrl, PREFIX);
}
