/**
 * Scratch databases and ports of the benchmark tools (bench/ imports nothing from tests/): a fresh
 * empty database on a PostgreSQL server per contender, dropped again afterwards.
 */
import postgres from "postgres";

const PREFIX = "etl_bench_";
const STALE_SECONDS = 30 * 60;

/** Returns a free loopback port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Returns an empty database created on the server at `baseUrl` (not migrated) and its drop. */
export async function createScratchDatabase(
  baseUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const epoch = Math.floor(Date.now() / 1000);
  try {
    // Drop what earlier, interrupted runs left behind.
    const stale = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${PREFIX + "%"}`;
    for (const { datname } of stale) {
      const born = Number(datname.split("_")[2]);
      if (Number.isFinite(born) && epoch - born > STALE_SECONDS) {
        await admin`drop database if exists ${admin(datname)} with (force)`;
      }
    }
    const name = `${PREFIX}${epoch}_${crypto.randomUUID().slice(0, 8)}`;
    await admin`create database ${admin(name)}`;
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        const again = postgres(baseUrl, { max: 1, onnotice: () => {} });
        await again`drop database if exists ${again(name)} with (force)`;
        await again.end();
      },
    };
  } finally {
    await admin.end();
  }
}
