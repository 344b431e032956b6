/**
 * `deno task retention`: deletes, once, the raw attempt events of finalized sessions older than
 * RAW_EVENT_RETENTION_DAYS (or `--days N`), printing progress and what it deleted.
 */
import { ConfigError, loadConfig } from "../config.ts";
import { purgeRawEvents, type RetentionProgress } from "../services/retention.ts";
import { openScriptDatabase } from "./_cli.ts";

/** Returns the retention in days from `--days N` or the configuration, or an error message. */
export function retentionDaysOf(args: string[], configured: number | null): number | string {
  const at = args.indexOf("--days");
  if (at >= 0) {
    const raw = args[at + 1] ?? "";
    if (!/^\d{1,5}$/.test(raw) || Number(raw) < 1 || Number(raw) > 36_500) {
      return `--days must be a whole number of days from 1 to 36500 (got "${raw}")`;
    }
    return Number(raw);
  }
  return configured ??
    "RAW_EVENT_RETENTION_DAYS is not set (raw events are kept forever); set it or pass --days N";
}

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(Deno.env.toObject());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
  const days = retentionDaysOf(Deno.args, config.rawEventRetentionDays);
  if (typeof days === "string") {
    console.error(days);
    return 2;
  }
  const db = await openScriptDatabase(config, {
    max: 2,
    locked: (reason) => reason,
  });
  if (db === null) return 1;
  try {
    const started = performance.now();
    let shown = started;
    const show = (p: RetentionProgress) => {
      const now = performance.now();
      if (now - shown < 1000) return;
      shown = now;
      console.log(`… ${p.deleted} deleted of ${p.scanned} older events looked at`);
    };
    const cutoff = new Date();
    console.log(`Deleting raw events of finalized sessions older than ${days} days`);
    const done = await purgeRawEvents(db.sql, days, cutoff, {
      exclusive: db.kind === "postgres",
      onProgress: show,
    });
    if (!done.ran) {
      console.log("Another instance is purging raw events right now; nothing done.");
      return 0;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `Deleted ${done.deleted} raw events received before ${done.cutoff.toISOString()} ` +
        `(${done.scanned - done.deleted} older ones kept: their sessions are not finalized) ` +
        `in ${done.chunks} chunks, ${seconds} s.`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

if (import.meta.main) Deno.exit(await main());
