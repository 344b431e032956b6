/**
 * `deno task import-legacy <telemetry.db>`: copies the legacy system's SQLite data into this
 * database. The whole file is read and validated first (a bad file changes nothing); then each
 * table is imported in its own transaction: events, summaries (original created times, legacy id
 * order; sessions recorded for the engagement rollup as finalize does), the company registry
 * (existing dashboard tokens kept, so links already handed out keep working), and finally every
 * imported player's model is retrained. Natural keys make a second run add nothing.
 */
import { clientTimeProblem } from "../core/client_time.ts";
import { dashboardTokenFor } from "../core/company.ts";
import { TASKS, trainTaskModel } from "../core/tasks.ts";
import { type Config, ConfigError, loadConfig } from "../config.ts";
import type { Sql } from "../db/client.ts";
import { insertCompanyToken } from "../db/companies.ts";
import { recordGameSession } from "../db/engagement.ts";
import { attemptKey, type EventRow, insertEvents } from "../db/events.ts";
import {
  insertLegacyCompanies,
  insertLegacySummaries,
  insertPlaySessions,
  playersWithStaleModel,
  registryTokens,
  sessionSpans,
} from "../db/legacy.ts";
import {
  type LegacyData,
  LegacyFileError,
  type LegacySchema,
  readLegacyFile,
} from "../db/legacy_sqlite.ts";
import { migrate } from "../db/migrate.ts";
import { lockPlayer, saveModel } from "../db/models.ts";
import { playerModelSeries } from "../db/summaries.ts";
import { openScriptDatabase } from "./_cli.ts";

export { LegacyFileError } from "../db/legacy_sqlite.ts";

/** Rows read from the file, newly inserted, and skipped because their key was already there. */
export interface TableCounts {
  read: number;
  inserted: number;
  present: number;
}

export interface ImportReport {
  /** Which version of the legacy system wrote the file. */
  schema: LegacySchema;
  raw_events: TableCounts;
  session_summary: TableCounts;
  /** `registered`: companies of imported summaries missing from the legacy registry. */
  company_registry: TableCounts & { registered: number };
  model_state: { read: number; retrained: number };
  /** Imported summaries also recorded as engagement sessions (as finalize does). */
  engagement_sessions: number;
  warnings: string[];
}

const CHUNK = 1000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const content = (e: EventRow) =>
  JSON.stringify({ ...e, ts_utc: e.ts_utc.getTime(), session_id: "", attempt_index: 0 });

async function importEvents(sql: Sql, events: EventRow[], warnings: string[]) {
  const first = new Map<string, EventRow>();
  let differing = 0;
  for (const e of events) {
    const earlier = first.get(attemptKey(e));
    if (!earlier) first.set(attemptKey(e), e);
    else if (content(earlier) !== content(e)) differing++;
  }
  if (differing > 0) {
    warnings.push(
      `${differing} raw_events row(s) repeat an attempt key with different content; ` +
        "the first (lowest id) was kept",
    );
  }
  const sessions = new Map<
    string,
    { session_id: string; player_id: string; first_seen_at: Date }
  >();
  const players = new Map<string, Set<string>>();
  for (const e of first.values()) {
    const s = sessions.get(e.session_id);
    if (!s) sessions.set(e.session_id, { ...e, first_seen_at: e.ts_utc });
    else if (e.ts_utc < s.first_seen_at) s.first_seen_at = e.ts_utc;
    players.set(e.session_id, (players.get(e.session_id) ?? new Set()).add(e.player_id));
  }
  const mixed = [...players.values()].filter((p) => p.size > 1).length;
  if (mixed > 0) {
    warnings.push(`${mixed} legacy session(s) have events of more than one player_id`);
  }
  const sessionRows = [...sessions.values()].map((s) => ({
    session_id: s.session_id,
    player_id: s.player_id,
    first_seen_at: s.first_seen_at,
  }));
  const inserted = await sql.begin(async (tx) => {
    for (const part of chunks(sessionRows)) await insertPlaySessions(tx, part);
    let n = 0;
    for (const part of chunks([...first.values()])) n += await insertEvents(tx, part);
    return n;
  });
  return { read: events.length, inserted, present: events.length - inserted };
}

async function importSummaries(sql: Sql, data: LegacyData) {
  const firstOf = new Map(data.summaries.toReversed().map((s) => [s.session_id, s]));
  const unique = data.summaries.filter((s) => firstOf.get(s.session_id) === s);
  return await sql.begin(async (tx) => {
    const sessions = unique.map((s) => ({
      session_id: s.session_id,
      player_id: s.player_id,
      first_seen_at: s.created_ts_utc,
    }));
    for (const part of chunks(sessions)) await insertPlaySessions(tx, part);
    const ids: string[] = [];
    for (const part of chunks(unique)) ids.push(...await insertLegacySummaries(tx, part));
    const spans = await sessionSpans(tx, ids);
    for (const s of spans) {
      await recordGameSession(tx, {
        playerId: s.player_id,
        sessionId: s.session_id,
        startedAt: s.played_at,
        durationSeconds: Math.round((s.ended_at.getTime() - s.played_at.getTime()) / 1000),
      });
    }
    const read = data.summaries.length;
    return {
      counts: { read, inserted: ids.length, present: read - ids.length },
      games: spans.length,
    };
  });
}

async function importCompanies(
  sql: Sql,
  config: Pick<Config, "dashboardTokenSalt">,
  data: LegacyData,
  warnings: string[],
) {
  const legacyIds = data.companies.map((c) => c.company_id);
  const used = [...new Set(data.summaries.map((s) => s.company_id))].filter((id) => id !== null);
  return await sql.begin(async (tx) => {
    const inserted = await insertLegacyCompanies(tx, data.companies);
    const stored = await registryTokens(tx, [...legacyIds, ...used]);
    const replaced = data.companies.filter((c) => stored.get(c.company_id) !== c.dashboard_token);
    if (replaced.length > 0) {
      warnings.push(
        `${replaced.length} legacy registry row(s) kept the token already stored here, so ` +
          "their legacy dashboard token does not work: " +
          replaced.map((c) => c.company_id).join(", "),
      );
    }
    const missing = used.filter((id) => !stored.has(id));
    for (const id of missing) {
      await insertCompanyToken(tx, id, dashboardTokenFor(id, config.dashboardTokenSalt));
    }
    const read = data.companies.length;
    return {
      read,
      inserted: inserted.length,
      present: read - inserted.length,
      registered: missing.length,
    };
  });
}

/** Retrains, per task, the model of every imported player whose model of it is stale. */
async function retrainModels(sql: Sql, data: LegacyData, now: Date): Promise<number> {
  const players = [...new Set(data.summaries.map((s) => s.player_id))];
  return await sql.begin(async (tx) => {
    let retrained = 0;
    for (const { model } of TASKS) {
      const stale = await playersWithStaleModel(tx, players, model);
      for (const player of stale) {
        await lockPlayer(tx, player);
        const series = await playerModelSeries(tx, player, model);
        await saveModel(tx, player, trainTaskModel(model, series), now, model.name);
      }
      retrained += stale.length;
    }
    return retrained;
  });
}

/**
 * Returns nothing when every time of the data is inside the client time window at `now` (the
 * one events and summaries are held to, core/client_time.ts), else throws LegacyFileError naming
 * the first row outside it: a time past year 9999 or before 2000 would reach answers outside
 * their schema.
 */
export function checkLegacyTimes(data: LegacyData, now: Date): void {
  const rows: [string, string, Date | null][] = [
    ...data.events.map((e, i): [string, string, Date] => [
      `raw_events row ${i + 1} (session ${e.session_id})`,
      "ts_utc",
      e.ts_utc,
    ]),
    ...data.summaries.map((s, i): [string, string, Date] => [
      `session_summary row ${i + 1} (session ${s.session_id})`,
      "created_ts_utc",
      s.created_ts_utc,
    ]),
    ...data.companies.map((c, i): [string, string, Date | null] => [
      `company_registry row ${i + 1}`,
      "created_ts_utc",
      c.created_ts_utc,
    ]),
  ];
  for (const [where, field, at] of rows) {
    const problem = at === null ? null : clientTimeProblem(at, now);
    if (problem !== null) {
      throw new LegacyFileError(`${where}: ${field} ${at!.toISOString()}: ${problem}`);
    }
  }
}

/** Returns the report of importing validated legacy data into `sql` (migrated already). */
export async function importLegacyData(
  sql: Sql,
  config: Pick<Config, "dashboardTokenSalt">,
  data: LegacyData,
  now: Date = new Date(),
): Promise<ImportReport> {
  checkLegacyTimes(data, now);
  const warnings: string[] = [];
  const raw_events = await importEvents(sql, data.events, warnings);
  const summaries = await importSummaries(sql, data);
  const company_registry = await importCompanies(sql, config, data, warnings);
  const retrained = await retrainModels(sql, data, now);
  return {
    schema: data.schema,
    raw_events,
    session_summary: summaries.counts,
    company_registry,
    model_state: { read: data.modelRows, retrained },
    engagement_sessions: summaries.games,
    warnings,
  };
}

/** Returns the report of importing a legacy SQLite file; a bad file throws LegacyFileError first. */
export async function importLegacy(
  sql: Sql,
  config: Pick<Config, "dashboardTokenSalt">,
  path: string,
  now: Date = new Date(),
): Promise<ImportReport> {
  return await importLegacyData(sql, config, readLegacyFile(path), now);
}

/** Returns the printed summary of an import. */
export function formatImportReport(r: ImportReport): string[] {
  const row = (name: string, c: TableCounts, note = "") =>
    `${name.padEnd(18)}${String(c.read).padStart(8)}${String(c.inserted).padStart(10)}` +
    `${String(c.present).padStart(17)}${note}`;
  const registered = r.company_registry.registered;
  return [
    `schema: ${r.schema} version of the legacy system`,
    `${"table".padEnd(18)}${"read".padStart(8)}${"inserted".padStart(10)}` +
    `${"already present".padStart(17)}`,
    row("raw_events", r.raw_events),
    row("session_summary", r.session_summary),
    row(
      "company_registry",
      r.company_registry,
      registered > 0 ? `  (+${registered} registered with a token from the current salt)` : "",
    ),
    `${"model_state".padEnd(18)}${String(r.model_state.read).padStart(8)}` +
    `  ${r.model_state.retrained} player model(s) retrained (models are recomputed, not copied)`,
    `${r.engagement_sessions} imported session(s) recorded for the engagement rollup`,
    ...r.warnings.map((w) => `warning: ${w}`),
  ];
}

async function main(): Promise<number> {
  const args = Deno.args.filter((a) => a !== "--");
  if (args.length !== 1 || args[0].startsWith("-")) {
    console.error("usage: deno task import-legacy <telemetry.db>");
    return 2;
  }
  let data: LegacyData;
  try {
    data = readLegacyFile(args[0]);
  } catch (err) {
    if (!(err instanceof LegacyFileError)) throw err;
    console.error(`import-legacy: ${err.message}\nNothing was changed.`);
    return 1;
  }
  const config = loadConfig(Deno.env.toObject());
  const db = await openScriptDatabase(config, {
    max: 1,
    locked: (reason) => `import-legacy: ${reason} Nothing was changed.`,
  });
  if (db === null) return 1;
  try {
    await migrate(db.sql);
    const report = await importLegacyData(db.sql, config, data);
    console.log(`Imported ${args[0]}`);
    console.log(formatImportReport(report).join("\n"));
    return 0;
  } finally {
    await db.close();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    console.error(err instanceof ConfigError ? `import-legacy: ${err.message}` : err);
    Deno.exit(1);
  }
}
