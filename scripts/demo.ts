/**
 * `deno task demo [--seed N] [--reset]`: writes demo data through the same services the API
 * uses (events via toEventRow + ingestBatch, finalizeSession, seedCompany, ingestSessionSummary),
 * so summaries, models, company registration and engagement sessions come out exactly as from
 * real clients. Sessions already stored are skipped, so running it twice adds nothing. While the
 * service runs on the embedded database (its data directory locked), the demo writes through the
 * service's API instead (scripts/demo_api.ts).
 */
import { type Config, ConfigError, loadConfig } from "../config.ts";
import type { Sql } from "../db/client.ts";
import { migrate } from "../db/migrate.ts";
import { existingSessions, resetData } from "../db/demo.ts";
import { seedCompany } from "../services/company.ts";
import { ingestSessionSummary } from "../services/engagement.ts";
import { ingestBatch, toEventRow } from "../services/events.ts";
import { finalizeSession } from "../services/finalize.ts";
import { generateDemo } from "./demo_data.ts";
import type { DemoOptions, DemoResult, Progress } from "./_demo_types.ts";
import { openScriptDatabase } from "./_cli.ts";
import { serviceAnswers, writeDemoOverApi } from "./demo_api.ts";
import { DEMO_DEVICES, demoDeviceOf, writeDemoFleet } from "./demo_fleet.ts";

export type { DemoOptions, DemoResult, Progress } from "./_demo_types.ts";

const BATCH = 500;

/** Returns what was written into `sql` (migrated already) for the options. */
export async function writeDemo(
  sql: Sql,
  config: Config,
  options: DemoOptions,
): Promise<DemoResult> {
  const progress = options.progress ?? (() => {});
  const demo = generateDemo(options.seed, options.now);
  if (options.reset) await resetData(sql);

  const companies = [];
  for (const c of demo.companies) {
    const seeded = await seedCompany(sql, config, { company_name: c.name });
    companies.push({ ...seeded, players: c.players.length });
  }

  const present = new Set<string>();
  const ids = demo.sessions.map((s) => s.sessionId);
  for (let i = 0; i < ids.length; i += 5000) {
    for (const id of await existingSessions(sql, ids.slice(i, i + 5000))) present.add(id);
  }
  const fresh = demo.sessions.filter((s) => !present.has(s.sessionId));

  const rows = fresh.flatMap((s) => s.events.map((e) => toEventRow(e, config.companySalt)));
  const events = { stored: 0, duplicates: 0 };
  progress("events", 0, rows.length);
  for (let i = 0; i < rows.length; i += BATCH) {
    const r = await ingestBatch(sql, rows.slice(i, i + BATCH));
    events.stored += r.stored;
    events.duplicates += r.duplicates;
    progress("events", Math.min(i + BATCH, rows.length), rows.length);
  }

  const byFinalize = [...fresh].sort((a, b) => a.finalizeAt.getTime() - b.finalizeAt.getTime());
  progress("sessions", 0, byFinalize.length);
  for (const [i, s] of byFinalize.entries()) {
    await finalizeSession(sql, config, s.sessionId, s.finalizeAt, s.finalize);
    progress("sessions", i + 1, byFinalize.length);
  }

  const engagement = { stored: 0, duplicates: 0 };
  progress("engagement", 0, demo.engagement.length);
  const deviceOf = demoDeviceOf(demo.familyUsers);
  for (const [i, body] of demo.engagement.entries()) {
    const status = await ingestSessionSummary(sql, body, deviceOf.get(body.user_external_id));
    if (status === "ok") engagement.stored++;
    else engagement.duplicates++;
    progress("engagement", i + 1, demo.engagement.length);
  }

  progress("fleet", 0, 1);
  const fleet = await writeDemoFleet(sql, options.now, config.commandTimeoutSeconds);
  progress("fleet", 1, 1);

  return {
    demo,
    companies,
    sessions: { created: fresh.length, present: present.size },
    events,
    engagement,
    fleet,
  };
}

/** Returns the base URL a browser on this machine uses for the configured HOST and PORT. */
export function baseUrl(config: Pick<Config, "host" | "port">): string {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

/** Returns the closing report: what was written and the dashboard links to open. */
export function formatReport(result: DemoResult, config: Config, seconds: number): string[] {
  const base = baseUrl(config);
  const { demo } = result;
  const lines = [
    `Seeded in ${seconds.toFixed(1)} s: ${result.companies.length} companies, ` +
    `${demo.players.length} players, ${result.sessions.created} sessions ` +
    `(${result.events.stored} events), ${result.engagement.stored} engagement summaries.`,
  ];
  if (result.sessions.present > 0) {
    lines.push(
      `${result.sessions.present} sessions were already present and were left as they are ` +
        "(run with --reset to start over).",
    );
  }
  lines.push("", "Company dashboards (the token is the `t` parameter):");
  for (const c of result.companies) {
    const note = c.players < config.minCompanyN
      ? ` — below MIN_COMPANY_N=${config.minCompanyN}: shows the insufficient-data state`
      : "";
    lines.push(`  ${c.company_name} (${c.players} players)${note}`);
    lines.push(`    ${base}/company?t=${c.dashboard_token}`);
  }
  lines.push(
    `  (Single days rarely have ${config.minCompanyN} players, so the day view is mostly ` +
      "suppressed for privacy; the week view shows the trend.)",
  );
  lines.push("", "Player dashboards:");
  const shown = [...demo.companies.map((c) => c.players[0]), demo.players.at(-1)!];
  for (const id of shown) lines.push(`  ${base}/players/${encodeURIComponent(id)}`);

  const grant = (user: string) =>
    config.dashboardGrants.find((g) => g.user === "*" || g.user === user)?.token;
  lines.push("", "Engagement dashboards (sign in with the dashboard token):");
  for (const user of demo.familyUsers) {
    const token = grant(user);
    lines.push(
      `  ${base}/engagement/${encodeURIComponent(user)}  ` +
        (token ? `token: ${token}` : "(no DASHBOARD_TOKEN_MAP grant for this user)"),
    );
  }
  const fleetToken = config.dashboardGrants.find((g) => g.user === "*")?.token;
  lines.push("", "Device fleet (sign in with a dashboard token for every user):");
  lines.push(
    `  ${base}/fleet  ` + (fleetToken ? `token: ${fleetToken}` : "(no `*` grant configured)"),
  );
  lines.push(`  ${base}/fleet/devices/${DEMO_DEVICES[0]}`);
  lines.push("", "Admin:");
  if (config.adminKey === "") {
    lines.push("  ADMIN_KEY is empty, so POST /admin/seed_company is locked.");
    lines.push("  Start the service with ADMIN_KEY=<secret> to register more companies:");
  }
  lines.push(
    `  curl -X POST ${base}/admin/seed_company -H "X-ADMIN-KEY: $ADMIN_KEY" ` +
      `-H "Content-Type: application/json" -d '{"company_name": "Umbrella"}'`,
  );
  lines.push(`  API docs: ${base}/docs · start the service with: deno task start`);
  return lines;
}

/** Returns a progress reporter: a redrawn bar on a terminal, plain lines otherwise. */
export function progressReporter(terminal: boolean, write: (text: string) => void): Progress {
  let lastStep = -1;
  let lastPhase = "";
  return (phase, done, total) => {
    if (phase !== lastPhase) {
      if (terminal && lastPhase !== "") write("\n");
      lastPhase = phase;
      lastStep = -1;
    }
    const fraction = total === 0 ? 1 : done / total;
    if (terminal) {
      const width = 30;
      const filled = Math.round(fraction * width);
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      write(`\r${phase.padEnd(10)} [${bar}] ${done}/${total}`);
      return;
    }
    const step = Math.floor(fraction * 4); // 0 %, 25 %, 50 %, 75 %, 100 %
    if (step !== lastStep) {
      lastStep = step;
      write(`demo: ${phase} ${done}/${total}\n`);
    }
  };
}

function parseArgs(args: string[]): { seed: number; reset: boolean } {
  let seed = 1;
  let reset = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--reset") reset = true;
    else if (arg === "--seed" || arg.startsWith("--seed=")) {
      const value = arg === "--seed" ? args[++i] : arg.slice("--seed=".length);
      if (!/^\d+$/.test(value ?? "")) throw new Error("--seed needs a whole number");
      seed = Number(value);
    } else throw new Error(`Unknown argument ${arg} (usage: demo [--seed N] [--reset])`);
  }
  return { seed, reset };
}

async function main(): Promise<number> {
  const started = performance.now();
  let config: Config;
  let args: { seed: number; reset: boolean };
  try {
    config = loadConfig(Deno.env.toObject());
    args = parseArgs(Deno.args);
  } catch (err) {
    console.error(`demo: ${err instanceof Error ? err.message : err}`);
    return 2;
  }
  if (!config.policy.demoData) {
    console.error("demo: refusing to write demo data with APP_ENV=production");
    return 1;
  }
  const encoder = new TextEncoder();
  const terminal = Deno.stdout.isTerminal();
  const progress = progressReporter(terminal, (t) => Deno.stdout.writeSync(encoder.encode(t)));
  const options = { ...args, now: new Date(), progress };
  const report = (result: DemoResult, note: string[]) => {
    if (terminal) console.log();
    const seconds = (performance.now() - started) / 1000;
    console.log([...note, ...formatReport(result, config, seconds)].join("\n"));
  };
  let lockedReason = "";
  const db = await openScriptDatabase(config, {
    max: 1,
    locked: (reason) => (lockedReason = reason, ""), // answered below
  });
  if (db === null && lockedReason === "") return 1; // the server is unreachable: said already
  if (db === null) {
    const base = baseUrl(config);
    if (!(await serviceAnswers(base))) {
      console.error(lockedMessage(lockedReason, base));
      return 1;
    }
    const result = await writeDemoOverApi(base, config, options);
    const note = [`The service at ${base} holds ${config.dataDir}: wrote through its API.`];
    if (config.adminKey === "") {
      note.push(
        "Without ADMIN_KEY the companies were registered by their first session, so their " +
          "dashboards are titled by company id (c_…); set ADMIN_KEY for the service and the " +
          "demo to register their names.",
      );
    }
    report(result, note);
    return 0;
  }
  try {
    await migrate(db.sql);
    report(await writeDemo(db.sql, config, options), []);
    return 0;
  } finally {
    await db.close();
  }
}

/** Returns what to do when another process holds the data directory and no service answers. */
export function lockedMessage(reason: string, base: string): string {
  return `demo: ${reason} No service answers at ${base}/health, so the demo cannot write ` +
    "through its API either. If that process is `deno task start` on another HOST or PORT, " +
    "run the demo with the same HOST and PORT; otherwise stop it and run `deno task demo` again.";
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (err) {
    if (err instanceof ConfigError) console.error(`demo: ${err.message}`);
    else console.error(err);
    Deno.exit(1);
  }
}
