/**
 * `deno task bench [--quick] [--only=ingest,batch,finalize,engagement,player,company,fleet,embedded]`
 * (`deno task bench pair --root=DIR [--front]`: bench/pair.ts)
 * (`deno task bench audio [--quick]`: the voice recording uploads alone, bench/audio.ts)
 * (or the scenario names as bare arguments: `deno task bench ingest batch`);
 * `deno task bench privacy-accuracy [--quick]` runs only the company-privacy accuracy
 * simulation (bench/privacy_accuracy.ts, seconds, no database).
 *
 * Starts, against the local Postgres (BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), each on its own fresh database:
 * - the service, one process (APP_ENV=production: bearer tokens, JSON request log to /dev/null;
 *   no WORKERS=2 target: docs/performance.md explains the fleet model instead),
 * - the bare baseline (bench/baseline.ts: Hono + zod, one INSERT per request),
 * and (bench/embedded.ts) the service and the baseline each over its own embedded PGlite,
 * drives them with wrk (or bench/load.ts) on loopback, alternating A/B runs, and prints the
 * targets with the measured figures; writes bench/results.json. Every target is a ratio against
 * the baseline measured in the same run, or an absolute latency.
 *
 * One module per scenario in bench/scenarios/; bench/measure.ts measures, bench/report.ts
 * collects and prints. Runs with --allow-all: Deno grants /proc (CPU time, VmHWM, load average)
 * only with it.
 */
import type postgres from "postgres";
import { embeddedScenario } from "./embedded.ts";
import { databaseOf, setAdmin, sqlFor } from "./measure.ts";
import { CONNECTIONS, P, quick, RUN, serviceEnv, wanted } from "./params.ts";
import { BASELINE_ARGS, type Server, SERVICE_ARGS, startServer } from "./procs.ts";
import {
  loadavg,
  machine,
  noteLoad,
  progress,
  raw,
  rows,
  T0,
  table,
  target,
  targets,
} from "./report.ts";
import { batchScenario } from "./scenarios/batch.ts";
import { companyScenario } from "./scenarios/company.ts";
import { engagementScenario } from "./scenarios/engagement.ts";
import { finalizeScenario } from "./scenarios/finalize.ts";
import { fleetScenario } from "./scenarios/fleet.ts";
import { ingestScenario, rssScenario } from "./scenarios/ingest.ts";
import { playerPageScenario } from "./scenarios/player_page.ts";
import { postgresAloneScenario } from "./scenarios/postgres_alone.ts";
import { runPrivacyAccuracy } from "./privacy_accuracy.ts";
import { createScratchDatabase } from "./scratch.ts";
import { f0 } from "./stats.ts";

type Sql = postgres.Sql;

const RESULTS = new URL("./results.json", import.meta.url);

async function main(): Promise<void> {
  // `deno task bench pair --root=DIR [--front]`: this checkout against another, in pairs
  // (bench/pair.ts).
  if (Deno.args.includes("pair")) {
    await import("./pair.ts");
    return;
  }
  // `deno task bench audio [--quick]`: the recordings' upload benchmark, on its own.
  if (Deno.args.includes("audio")) {
    const { FULL, QUICK, printAudioBench, runAudioBench } = await import("./audio.ts");
    printAudioBench(await runAudioBench(quick ? QUICK : FULL));
    return;
  }
  const baseUrl = Deno.env.get("BENCH_DATABASE_URL")?.trim() ||
    "postgres://postgres@127.0.0.1:5432/postgres";
  const started = new Date();
  noteLoad("start");
  const dbs = await Promise.all([
    createScratchDatabase(baseUrl),
    createScratchDatabase(baseUrl),
  ]);
  const [db1, dbBase] = dbs;
  const servers: Server[] = [];
  const admin = sqlFor(baseUrl);
  setAdmin(admin);
  let sql1: Sql | null = null;
  try {
    const env = await machine(admin);
    progress(`starting the service and the baseline`);
    const svc1 = await startServer("service", SERVICE_ARGS, serviceEnv(db1.url, 1));
    servers.push(svc1);
    const base = await startServer("baseline", BASELINE_ARGS, { DATABASE_URL: dbBase.url });
    servers.push(base);
    for (const [server, db] of [[svc1, db1], [base, dbBase]] as const) {
      databaseOf.set(server, new URL(db.url).pathname.slice(1));
    }
    // Let the production start finish its background work (island bundles) before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    sql1 = sqlFor(db1.url);

    raw.startup_ms = {
      service_fresh_database: svc1.startupMs,
      baseline_fresh_database: base.startupMs,
    };

    if (wanted("ingest")) {
      noteLoad("postgres");
      await postgresAloneScenario(dbBase.url);
      noteLoad("ingest");
      await ingestScenario(svc1, base);
      rssScenario(svc1, base);
    }
    if (wanted("batch")) {
      noteLoad("batch");
      await batchScenario(svc1, base);
    }
    if (wanted("finalize")) {
      noteLoad("finalize");
      await finalizeScenario(svc1, sql1);
    }
    if (wanted("engagement")) {
      noteLoad("engagement");
      await engagementScenario(svc1, base);
    }
    if (wanted("player")) {
      noteLoad("player");
      await playerPageScenario(svc1, sql1);
    }
    if (wanted("company")) {
      noteLoad("company");
      await companyScenario(svc1, sql1);
    }
    if (wanted("fleet")) {
      noteLoad("fleet");
      await fleetScenario(svc1, base, sql1);
    }
    if (wanted("embedded")) {
      noteLoad("embedded");
      const e = await embeddedScenario({ quick, connections: CONNECTIONS, run: RUN, progress });
      raw.embedded = e.raw;
      rows.push(...e.rows);
      for (const t of e.targets) target(t.id, t.label, t.value, t.op, t.goal, t.unit, t.note);
    }

    progress("scenario 7: startup to healthy (restart on the populated database)");
    await svc1.stop();
    const again = await startServer("service", SERVICE_ARGS, serviceEnv(db1.url, 1));
    servers.push(again);
    (raw.startup_ms as Record<string, number>).service_restart = again.startupMs;
    await again.stop();
    rows.push({
      scenario: "startup to healthy /health: fresh database (migrations) / restart",
      service: `${f0(svc1.startupMs)} ms / ${f0(again.startupMs)} ms`,
      baseline: `${f0(base.startupMs)} ms`,
      ratio: "—",
    });
    target(
      "startup",
      "service restart to healthy (3 s goal of docs/performance.md)",
      again.startupMs / 1000,
      "<=",
      3,
      "s",
    );
    noteLoad("end");

    const report = {
      date: started.toISOString(),
      duration_seconds: Math.round((performance.now() - T0) / 1000),
      quick,
      machine: env,
      note: "Absolute figures are noisy; targets are ratios against the bare baseline measured " +
        "in the same run (medians of alternating runs) or absolute latencies. Load averages " +
        "below show what else ran on the machine.",
      loadavg,
      parameters: { connections: CONNECTIONS, ...P },
      targets,
      rows,
      scenarios: raw,
    };
    await Deno.writeTextFile(RESULTS, JSON.stringify(report, null, 2) + "\n");
    console.log(`\nMachine: ${Object.values(env).join("; ")}`);
    console.log(`Load average: ${loadavg.map((l) => `${l.at} ${l.load}`).join(", ")}\n`);
    console.log(table());
    console.log(`\nwrote ${RESULTS.pathname} (${report.duration_seconds} s)`);
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    await sql1?.end({ timeout: 5 });
    await admin.end({ timeout: 5 });
    setAdmin(null);
    for (const db of dbs) await db.drop().catch((e) => console.error(`drop failed: ${e}`));
  }
}

if (import.meta.main) {
  // A pure-core simulation, no service or database: `deno task bench privacy-accuracy`.
  if (Deno.args.includes("privacy-accuracy")) runPrivacyAccuracy(quick);
  else await main();
}
