/** `/company?t=TOKEN`: a company's privacy-guarded aggregates. */
import type { Context } from "hono";
import { CredentialError, DomainError } from "../core/errors.ts";
import { markCredentialFailure } from "../http/auth.ts";
import { REGISTRY, type TaskDefinition, type TaskRegistry } from "../core/tasks.ts";
import type { TrendTask } from "../islands/CompanyTrends.tsx";
import { countPm, formatMetricPm, type Interval, utcMinute, withUnit } from "../islands/format.ts";
import type { CompanyForecast, CompanyInfo, CompanySummary } from "../openapi/company.ts";
import {
  companyForecast,
  companyInfo,
  type CompanyReader,
  companySummary,
  companyTimeseries,
  openCompany,
} from "../services/company.ts";
import { type PageEnv, sendPage } from "./_page.tsx";
import { Island } from "./render.tsx";
import { Metric, Metrics, Notice } from "./_ui.tsx";
import { Glossary } from "./_glossary.tsx";
import { changeFromPrevious, choosePeriods, type Grain, type Period } from "../core/periods.ts";
import { type ChangeUnit, changeWords, timeseriesCsv, toPeriods } from "./_company_periods.ts";
import { lower } from "./_player_cards.tsx";

const TITLE = "Company";

function deniedPage(c: Context, env: PageEnv): Promise<Response> {
  return sendPage(c, env, {
    title: TITLE,
    heading: "Company dashboard",
    status: 403,
    body: (
      <Notice title="Access denied" tone="error">
        <p>
          This link is missing its dashboard token, or the token is not valid. Company dashboards
          open only through the personal link (<code>/company?t=…</code>) that your operator creates
          for your company; ask them to send it again.
        </p>
        <p class="muted">
          Operators get a company's link from <code>POST /admin/seed_company</code>{" "}
          (it answers the company's <code>dashboard_token</code>).
        </p>
      </Notice>
    ),
  });
}

/** The company as its pages name it: the registered name, else its id. */
interface Named {
  info: CompanyInfo;
  name: string | null;
}

const headingOf = ({ info, name }: Named) => name ?? `Company ${info.company_id}`;

function insufficientPage(
  c: Context,
  env: PageEnv,
  company: Named,
  k: number,
  nextRelease: string | null,
): Promise<Response> {
  const { info } = company;
  return sendPage(c, env, {
    title: `${headingOf(company)} · ${TITLE}`,
    heading: headingOf(company),
    body: (
      <Notice title="Not enough players yet" tone="warn">
        <p class="big">{info.n_players} / {k} players</p>
        <p>
          Aggregates are hidden until at least {k}{" "}
          different players of this company have finished a session, so that no number on this page
          can describe a single person. They appear here automatically once enough players have
          played.
        </p>
        {nextRelease !== null && (
          <p class="muted">
            The player count is released once per closed week with calibrated noise (± is its 90 %
            range: {countPm(info.n_players, info.n_players_interval)}); the next release is on{" "}
            {utcMinute(nextRelease)}.
          </p>
        )}
      </Notice>
    ),
  });
}

/** Returns a number, or "hidden" where fewer than k players stand behind it. */
function hidden(value: unknown, show: (v: number) => string): string {
  return typeof value === "number" ? show(value) : "hidden";
}

/** Returns the interval answered next to a field (null in exact mode). */
const intervalOf = (answer: Record<string, unknown>, field: string) =>
  (answer[`${field}_interval`] ?? null) as Interval;

/** Returns the tasks' columns and charts for the trends island (the registry's company views). */
export function trendTasks(registry: TaskRegistry): TrendTask[] {
  return registry.tasks.map((t) => ({
    name: t.name,
    isDefault: t === registry.defaultTask,
    sessionsField: t.company.sessions?.field ?? null,
    metrics: t.company.metrics.filter((c) => c.timeseries !== null).map((c) => {
      const m = t.metrics.find((d) => d.key === c.metric)!;
      const chart = t.charts.find((v) => v.metric === c.metric && v.company);
      return {
        field: c.field,
        label: m.label,
        unit: m.unit,
        kind: m.kind,
        ...(m.levels === undefined ? {} : { levels: m.levels }),
        ...(m.decimals === undefined ? {} : { decimals: m.decimals }),
        chart: chart === undefined ? null : {
          color: chart.color,
          min: chart.axis.min,
          max: chart.axis.max,
          percent: chart.axis.percent,
          ...(chart.note === undefined ? {} : { note: chart.note }),
        },
      };
    }),
  }));
}

/** One grain's periods and how many of them were left out for privacy. */
interface GrainPeriods {
  grain: Grain;
  periods: Period[];
  hidden: number;
}

/** The periods the tiles compare: the grain the page opens on first, then weeks. */
interface Trend {
  opened: GrainPeriods;
  weeks: GrainPeriods;
}

/** Returns a tile's change from the previous period in words, or undefined without a value. */
function changeOf(
  trend: Trend,
  field: string,
  unit: ChangeUnit,
  shown: (value: number, interval: Interval) => string,
): string | undefined {
  const at = (g: GrainPeriods) => changeFromPrevious(g.periods, field, g.grain, g.hidden);
  const opened = at(trend.opened);
  if (opened === null) return undefined;
  // On days, a day without a day before it (sparse play, or hidden) falls back to its week.
  const compared = (c: typeof opened) => c.status === "change" || c.status === "within-noise";
  if (trend.opened.grain === "day" && !compared(opened)) {
    const week = at(trend.weeks);
    if (week !== null && compared(week)) return changeWords(week, "week", unit, shown);
  }
  return changeWords(opened, trend.opened.grain, unit, shown);
}

/** The unit of a session count, for its change. */
const SESSIONS: ChangeUnit = {
  unit: "sessions",
  kind: "number",
  decimals: 0,
  higherIsBetter: null,
};

/** Returns one task's tiles: its averages and its forecast, each under the k rule. */
function TaskTiles({ task, summary, forecast, trend }: {
  task: TaskDefinition;
  summary: CompanySummary;
  forecast: CompanyForecast;
  trend: Trend;
}) {
  const sessions = task.company.sessions === null
    ? null
    : summary[task.company.sessions.field] as number;
  const target = task.metrics.find((m) => m.key === task.model.target)!;
  const f = forecast[task.name];
  return (
    <>
      {task.company.metrics.filter((c) => c.summary !== null).map((c) => {
        const m = task.metrics.find((d) => d.key === c.metric)!;
        return (
          <Metric
            label={`Avg ${lower(m)}`}
            value={hidden(
              summary[c.field],
              (v) => withUnit(m, formatMetricPm(m, v, intervalOf(summary, c.field))),
            )}
            hint={sessions === null
              ? undefined
              : `over ${sessions} ${task.name} sessions${
                m.unit === "points" ? `, of ${m.range[1]}` : ""
              }`}
            change={c.timeseries === null
              ? undefined
              : changeOf(trend, c.field, m, (v, i) => withUnit(m, formatMetricPm(m, v, i)))}
          />
        );
      })}
      <Metric
        label={`Forecast: next ${lower(target)}`}
        value={hidden(
          f[task.company.forecast.field],
          (v) =>
            withUnit(target, formatMetricPm(target, v, intervalOf(f, task.company.forecast.field))),
        )}
        hint={summary.privacy === "protected"
          ? `the newest released week, over about ${f.n_models} players`
          : `mean over ${f.n_models} trained player models`}
      />
    </>
  );
}

/** Returns the company reader of a request's token (the options every company read shares). */
function readerOf(env: PageEnv, token: string | undefined): Promise<CompanyReader> {
  const { sql, config } = env.deps;
  return openCompany(sql, {
    minCompanyN: config.minCompanyN,
    companyPrivacy: config.companyPrivacy,
    now: env.deps.now(),
    random: env.deps.random,
    tasks: env.deps.tasks ?? REGISTRY,
  }, token);
}

/** Returns a page's `bucket` query as a grain, or null for none or another value. */
function grainOf(value: string | undefined): Grain | null {
  return value === "day" || value === "week" || value === "month" ? value : null;
}

/** GET /company.csv?t=…&bucket=day|week|month: the page's periods as CSV (403 like the page). */
export async function companyCsv(c: Context, env: PageEnv): Promise<Response> {
  const bucket = grainOf(c.req.query("bucket")) ?? "week";
  const registry = env.deps.tasks ?? REGISTRY;
  let series;
  try {
    series = await companyTimeseries(await readerOf(env, c.req.query("t")), bucket);
  } catch (err) {
    if (err instanceof CredentialError) markCredentialFailure(c);
    if (err instanceof DomainError && err.kind === "forbidden") {
      return c.text(err.message, 403, { "Cache-Control": "no-store" });
    }
    throw err;
  }
  return c.body(timeseriesCsv(series, registry), 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="company-${series.company_id}-${bucket}.csv"`,
    "Cache-Control": "no-store",
  });
}

/** GET /company?t=…&bucket=day|week|month: access denied (403), n/k players, or the dashboard. */
export async function companyPage(c: Context, env: PageEnv): Promise<Response> {
  const { sql, config } = env.deps;
  const registry = env.deps.tasks ?? REGISTRY;
  const token = c.req.query("t");
  const asked = c.req.query("bucket");
  let reader: CompanyReader;
  try {
    // The token is resolved once; every read below shares it (and its player count).
    reader = await openCompany(sql, {
      minCompanyN: config.minCompanyN,
      companyPrivacy: config.companyPrivacy,
      now: env.deps.now(),
      random: env.deps.random,
      tasks: registry,
    }, token);
  } catch (err) {
    if (err instanceof CredentialError) {
      // Counted exactly as the same token on the API (http/ratelimit.ts).
      markCredentialFailure(c);
      return deniedPage(c, env);
    }
    throw err;
  }
  const company: Named = { info: await companyInfo(reader), name: reader.name };
  const k = config.minCompanyN;
  const protectedMode = company.info.privacy === "protected";
  const nextWeek = protectedMode ? nextWeekRelease(env.deps.now()) : null;
  if (!company.info.has_sufficient_data) {
    return insufficientPage(c, env, company, k, nextWeek);
  }
  let summary, day, week, month, forecast;
  try {
    summary = await companySummary(reader);
    day = await companyTimeseries(reader, "day");
    week = await companyTimeseries(reader, "week");
    month = await companyTimeseries(reader, "month");
    forecast = await companyForecast(reader);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "forbidden") {
      return insufficientPage(c, env, company, k, nextWeek);
    }
    throw err;
  }
  // The finest grain of day, week and month at which a chart shows at least two values (never a
  // chart of one dot), tried on each charted metric in registry order (the default task's first).
  const charted = trendTasks(registry).flatMap((t) =>
    t.metrics.filter((m) => m.chart !== null).map((m) => m.field)
  );
  const fields = [
    "n_sessions",
    ...trendTasks(registry).flatMap((t) => t.metrics.map((m) => m.field)),
  ];
  const [days, weeks, months] = [day, week, month].map((s) => toPeriods(s.buckets, fields));
  const chosen = charted.reduce<ReturnType<typeof choosePeriods>>(
    (found, f) => found ?? choosePeriods(days, weeks, f, months),
    null,
  );
  const initial = grainOf(asked) ?? chosen?.grain ?? "week";
  // The tiles compare the latest period of the grain the page opens on with the one before.
  const grains: Record<Grain, GrainPeriods> = {
    day: { grain: "day", periods: days, hidden: day.suppressed_buckets },
    week: { grain: "week", periods: weeks, hidden: week.suppressed_buckets },
    month: { grain: "month", periods: months, hidden: month.suppressed_buckets },
  };
  const trend: Trend = { opened: grains[initial], weeks: grains.week };
  const csv = (b: Grain) => `/company.csv?t=${encodeURIComponent(token ?? "")}&bucket=${b}`;
  const shown = registry.tasks.filter((t) =>
    t === registry.defaultTask || t.company.sessions === null ||
    (summary[t.company.sessions.field] as number) > 0
  );
  return sendPage(c, env, {
    title: `${headingOf(company)} · ${TITLE}`,
    heading: headingOf(company),
    lead: protectedMode
      ? `Averages over about ${summary.n_players} players, in weeks released through ` +
        `${summary.released_through}. Every number is released once per closed period with ` +
        `calibrated noise, so that no number reveals one person; ± is its 90 % range. An ` +
        `average with too few players behind it reads “hidden”.`
      : `Averages over ${summary.n_players} players. Every number shown stands for at least ` +
        `${k} different players; an average with fewer behind it reads “hidden”.`,
    body: (
      <>
        <Metrics>
          <Metric
            label="Players"
            value={countPm(summary.n_players, intervalOf(summary, "n_players"))}
          />
          <Metric
            label="Sessions"
            value={countPm(summary.n_sessions, intervalOf(summary, "n_sessions"))}
            change={changeOf(trend, "n_sessions", SESSIONS, (v, i) => `${countPm(v, i)} sessions`)}
          />
          {shown.map((t) => (
            <TaskTiles key={t.name} task={t} summary={summary} forecast={forecast} trend={trend} />
          ))}
        </Metrics>
        <Island
          name="CompanyTrends"
          props={{
            day: {
              buckets: day.buckets,
              suppressed: day.suppressed_buckets,
              nextRelease: day.next_release_at,
            },
            week: {
              buckets: week.buckets,
              suppressed: week.suppressed_buckets,
              nextRelease: week.next_release_at,
            },
            month: {
              buckets: month.buckets,
              suppressed: month.suppressed_buckets,
              nextRelease: month.next_release_at,
            },
            initial,
            minN: k,
            tasks: trendTasks(registry),
          }}
        />
        <p class="downloads">
          Download the numbers shown (CSV): <a href={csv("day")} download>per day</a> ·{" "}
          <a href={csv("week")} download>per week</a> ·{" "}
          <a href={csv("month")} download>per month</a>{" "}
          <span class="muted">(hidden averages are empty cells)</span>
        </p>
        <Glossary
          registry={registry}
          keys={shown.flatMap((t) => t.company.metrics.map((m) => m.metric))}
        />
      </>
    ),
  });
}

/** Returns when the open week is released (next Monday 00:00 UTC), as an ISO timestamp. */
function nextWeekRelease(now: Date): string {
  const sinceMonday = (now.getUTCDay() + 6) % 7;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today + (7 - sinceMonday) * 86_400_000).toISOString();
}
