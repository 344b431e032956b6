/**
 * Scratch databases on a PostgreSQL server, for the tests, the fault tests and the benchmarks: a
 * fresh empty database per use, dropped again afterwards; ones that an interrupted run left
 * behind are dropped once they are half an hour old.
 */
import postgres from "postgres";

const STALE_SECONDS = 30 * 60;

/** A scratch database: its URL and how to drop it. */
export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * Returns an empty database (not migrated) created on the server at `baseUrl`, named
 * `<prefix><epoch seconds>_<random>`; `prefix` is `word_word_` (e.g. `etl_test_`).
 */
export async function createScratchDatabase(
  baseUrl: string,
  prefix: string,
): Promise<ScratchDatabase> {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const epoch = Math.floor(Date.now() / 1000);
  try {
    const stale = await admin<{ datname: string }[]>`
      select datname from pg_database where starts_with(datname, ${prefix})`;
    for (const { datname } of stale) {
      const born = Number(datname.slice(prefix.length).split("_")[0]);
      if (Number.isFinite(born) && epoch - born > STALE_SECONDS) {
        await admin`drop database if exists ${admin(datname)} with (force)`;
      }
    }
    const name = `${prefix}${epoch}_${crypto.randomUUID().slice(0, 8)}`;
    await admin`create database ${admin(name)}`;
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        const again = postgres(baseUrl, { max: 1, onnotice: () => {} });
        try {
          await again`drop database if exists ${again(name)} with (force)`;
        } finally {
          await again.end();
        }
      },
    };
  } finally {
    await admin.end();
  }
}
