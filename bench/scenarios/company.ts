/**
 * Scenario 5 of `deno task bench`: company dashboards with 100k of 1M sessions, and the company page.
 */
import type postgres from "postgres";
import { dashboardTokenFor } from "../../core/company.ts";
import { rebuildCompanyAggregates } from "../../db/companies.ts";
import { insertSummaries, latency } from "../measure.ts";
import { P, quick, SECRETS } from "../params.ts";
import type { Server } from "../procs.ts";
import { clean, type Figures, info, progress, raw, rows, target } from "../report.ts";
import { f0, f2, ms } from "../stats.ts";

type Sql = postgres.Sql;

export async function companyScenario(svc1: Server, sql: Sql): Promise<void> {
  const companyId = "c_benchmeasured";
  const token = dashboardTokenFor(companyId, SECRETS.dashboardSalt);
  await sql`insert into company_registry (company_id, company_name, dashboard_token)
    values (${companyId}, 'Bench Measured', ${token}) on conflict do nothing`;
  const total = P.companySessions + P.otherSessions;
  const size = `${f0(P.companySessions)} of ${f0(total)}`;
  const sizeNote = quick ? `quick run: ${size} sessions, not 100,000 of 1,000,000` : undefined;

  const conn = await sql.reserve();
  let replica = true;
  try {
    // Data setup only: skip the foreign-key triggers (the play_sessions rows are inserted first)
    // and the company aggregate triggers (rebuilt in one pass after each load instead).
    await conn`set session_replication_role = replica`;
  } catch {
    replica = false;
  }
  const load = async (what: string, fn: () => Promise<void>) => {
    const t0 = performance.now();
    await fn();
    if (replica) await rebuildCompanyAggregates(conn);
    const tables = [
      "session_summary",
      "play_sessions",
      "company_bucket",
      "company_bucket_player",
      "company_metric",
    ];
    for (const table of tables) await conn`vacuum analyze ${conn(table)}`;
    const s = (performance.now() - t0) / 1000;
    progress(`${what} loaded in ${s.toFixed(1)} s${replica ? "" : " (with FK checks)"}`);
    return s;
  };
  const measure = async (phase: string) => {
    const out: Record<string, Figures> = {};
    out.summary = await latency(`${phase} summary`, svc1, `/dashboard/summary?t=${token}`);
    out.timeseries_day = await latency(
      `${phase} timeseries day`,
      svc1,
      `/dashboard/timeseries?t=${token}&bucket=day`,
    );
    out.timeseries_week = await latency(
      `${phase} timeseries week`,
      svc1,
      `/dashboard/timeseries?t=${token}&bucket=week`,
    );
    return out;
  };

  let alone: Record<string, Figures>;
  let loadA: number;
  let loadB: number;
  try {
    progress(
      `scenario 5: company aggregates, company with ${f0(P.companySessions)} sessions alone`,
    );
    loadA = await load(`${f0(P.companySessions)} company sessions`, () =>
      insertSummaries(conn, {
        prefix: "cs-",
        count: P.companySessions,
        players: `'cp-' || (g % ${P.companyPlayers})`,
        company: `'${companyId}'`,
        from: "2025-01-01",
      }));
    alone = await measure("alone");
    progress(
      `scenario 5: adding ${f0(P.otherSessions)} sessions of ${P.otherCompanies} other companies`,
    );
    loadB = await load(`${f0(P.otherSessions)} other sessions`, () =>
      insertSummaries(conn, {
        prefix: "os-",
        count: P.otherSessions,
        players: `'op-' || (g % ${P.otherPlayers})`,
        company: `'c_other_' || ((g % ${P.otherPlayers}) % ${P.otherCompanies})`,
        from: "2025-01-01",
      }));
    if (replica) await conn`set session_replication_role = origin`;
  } finally {
    conn.release();
  }
  const full = await measure("full");
  const page = await latency("company page", svc1, `/company?t=${token}`);
  raw.company = {
    company_sessions: P.companySessions,
    company_players: P.companyPlayers,
    total_sessions: total,
    other_companies: P.otherCompanies,
    load_seconds: { company: loadA, others: loadB },
    company_alone: alone,
    with_all: full,
    company_page: page,
  };
  for (
    const [key, label] of [
      ["summary", "/dashboard/summary"],
      ["timeseries_day", "/dashboard/timeseries?bucket=day"],
      ["timeseries_week", "/dashboard/timeseries?bucket=week"],
    ] as const
  ) {
    rows.push({
      scenario: `${label} (${size}), 1 conn: p50 (company alone → with all)`,
      service: `${ms(alone[key].p50Ms)} → ${ms(full[key].p50Ms)}`,
      baseline: "—",
      ratio: `${f2(full[key].p50Ms / alone[key].p50Ms)}×`,
    });
    target(
      `company_${key}_p50`,
      `${label} p50, company with ${size} sessions`,
      full[key].p50Ms,
      "<=",
      20,
      "ms",
      clean(full[key]) ?? sizeNote,
    );
  }
  const growth = Math.max(
    ...(["summary", "timeseries_day", "timeseries_week"] as const).map((k) =>
      full[k].p50Ms / alone[k].p50Ms
    ),
  );
  target(
    "company_growth",
    "company p50 with all companies' data ÷ with the company alone (worst endpoint)",
    growth,
    "<=",
    1.5,
    "×",
  );
  rows.push({
    scenario: `GET /company?t= page (${size}), 1 conn: p50 / p99`,
    service: `${ms(page.p50Ms)} / ${ms(page.p99Ms)}`,
    baseline: "—",
    ratio: "—",
  });
  info(
    "company_page_p50",
    "company page server render p50",
    ms(page.p50Ms),
    "no target in issue 7",
  );
}
