/** `/company?t=TOKEN`: a company's privacy-guarded aggregates. */
import type { Context } from "hono";
import { DomainError } from "../core/errors.ts";
import { countPm, fixedPm, percentPm, utcMinute } from "../islands/format.ts";
import type { CompanyInfo } from "../openapi/company.ts";
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
            The player count is released once per closed week, with calibrated noise (± shows its 90
            % range: {countPm(info.n_players, info.n_players_interval)}); the next release is on
            {" "}
            {utcMinute(nextRelease)}.
          </p>
        )}
      </Notice>
    ),
  });
}

/** Returns a number, or "hidden" where fewer than k players stand behind it. */
function hidden(value: number | null, show: (v: number) => string): string {
  return value === null ? "hidden" : show(value);
}

/** GET /company?t=…&bucket=day|week: access denied (403), n/k players, or the dashboard. */
export async function companyPage(c: Context, env: PageEnv): Promise<Response> {
  const { sql, config } = env.deps;
  const token = c.req.query("t");
  const initial = c.req.query("bucket") === "day" ? "day" : "week";
  let reader: CompanyReader;
  try {
    // The token is resolved once; every read below shares it (and its player count).
    reader = await openCompany(sql, {
      minCompanyN: config.minCompanyN,
      companyPrivacy: config.companyPrivacy,
      now: env.deps.now(),
      random: env.deps.random,
    }, token);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "forbidden") return deniedPage(c, env);
    throw err;
  }
  const company: Named = { info: await companyInfo(reader), name: reader.name };
  const k = config.minCompanyN;
  const protectedMode = company.info.privacy === "protected";
  const summaryDay = protectedMode ? nextWeek(env.deps.now()) : null;
  if (!company.info.has_sufficient_data) {
    return insufficientPage(c, env, company, k, summaryDay);
  }
  let summary, day, week, forecast;
  try {
    summary = await companySummary(reader);
    day = await companyTimeseries(reader, "day");
    week = await companyTimeseries(reader, "week");
    forecast = await companyForecast(reader);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "forbidden") {
      return insufficientPage(c, env, company, k, summaryDay);
    }
    throw err;
  }
  const lead = protectedMode
    ? `Averages over about ${summary.n_players} players, in weeks released through ` +
      `${summary.released_through}. Every number is released once per closed period with ` +
      `calibrated noise, so that no number reveals one person; ± is its 90 % range. An ` +
      `average with too few players behind it reads “hidden”.`
    : `Averages over ${summary.n_players} players. Every number shown stands for at least ` +
      `${k} different players; an average with fewer behind it reads “hidden”.`;
  return sendPage(c, env, {
    title: `${headingOf(company)} · ${TITLE}`,
    heading: headingOf(company),
    lead,
    body: (
      <>
        <Metrics>
          <Metric label="Players" value={countPm(summary.n_players, summary.n_players_interval)} />
          <Metric
            label="Sessions"
            value={countPm(summary.n_sessions, summary.n_sessions_interval)}
          />
          <Metric
            label="Avg brain performance score"
            value={hidden(
              summary.avg_brain_performance_score,
              (v) => percentPm(v, summary.avg_brain_performance_score_interval),
            )}
            hint="first-try accuracy"
          />
          <Metric
            label="Avg repetition burden"
            value={hidden(
              summary.avg_repetition_burden,
              (v) => fixedPm(v, summary.avg_repetition_burden_interval),
            )}
            hint={`avg earth score ${
              hidden(
                summary.avg_earth_score_bucket,
                (v) => fixedPm(v, summary.avg_earth_score_bucket_interval, 1),
              )
            } of 10`}
          />
          {summary.n_water_sessions > 0 && (
            <Metric
              label="Avg stress score"
              value={hidden(
                summary.avg_stress_score,
                (v) => fixedPm(v, summary.avg_stress_score_interval, 1),
              )}
              hint={`over ${summary.n_water_sessions} water sessions, of 100`}
            />
          )}
          <Metric
            label="Forecast: next brain performance"
            value={hidden(
              forecast.earth.predicted_next_brain_performance,
              (v) => percentPm(v, forecast.earth.predicted_next_brain_performance_interval),
            )}
            hint={protectedMode
              ? `the newest released week, over about ${forecast.earth.n_models} players`
              : `mean over ${forecast.earth.n_models} trained player models`}
          />
          {summary.n_water_sessions > 0 && (
            <Metric
              label="Forecast: next stress score"
              value={hidden(
                forecast.water.predicted_next_stress_score,
                (v) => fixedPm(v, forecast.water.predicted_next_stress_score_interval, 1),
              )}
              hint={protectedMode
                ? `the newest released week, over about ${forecast.water.n_models} players`
                : `mean over ${forecast.water.n_models} trained player models`}
            />
          )}
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
            initial,
            minN: k,
          }}
        />
      </>
    ),
  });
}

/** Returns when the open week is released (next Monday 00:00 UTC), as an ISO timestamp. */
function nextWeek(now: Date): string {
  const sinceMonday = (now.getUTCDay() + 6) % 7;
  const monday = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) -
    sinceMonday * 86_400_000;
  return new Date(monday + 7 * 86_400_000).toISOString();
}
