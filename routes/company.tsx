/** `/company?t=TOKEN`: a company's privacy-guarded aggregates. */
import type { Context } from "hono";
import { CredentialError, DomainError } from "../core/errors.ts";
import { markCredentialFailure } from "../http/auth.ts";
import { fixed, percent } from "../islands/format.ts";
import type { CompanyInfo } from "../openapi/company.ts";
import {
  companyForecast,
  companySummary,
  companyTimeseries,
  namedCompanyInfo,
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
  let company: Named;
  try {
    company = await namedCompanyInfo(sql, config, token);
  } catch (err) {
    if (err instanceof CredentialError) {
      // Counted exactly as the same token on the API (http/ratelimit.ts).
      markCredentialFailure(c);
      return deniedPage(c, env);
    }
    throw err;
  }
  const k = config.minCompanyN;
  if (!company.info.has_sufficient_data) return insufficientPage(c, env, company, k);
  let summary, day, week, forecast;
  try {
    summary = await companySummary(sql, config, token);
    day = await companyTimeseries(sql, config, token, "day");
    week = await companyTimeseries(sql, config, token, "week");
    forecast = await companyForecast(sql, config, token);
  } catch (err) {
    // Players can only be added, but stay safe if the count changed between the reads.
    if (err instanceof DomainError && err.kind === "forbidden") {
      return insufficientPage(c, env, company, k);
    }
    throw err;
  }
  return sendPage(c, env, {
    title: `${headingOf(company)} · ${TITLE}`,
    heading: headingOf(company),
    lead: `Averages over ${summary.n_players} players. Every number shown stands for at least ` +
      `${k} different players; an average with fewer behind it reads “hidden”.`,
    body: (
      <>
        <Metrics>
          <Metric label="Players" value={String(summary.n_players)} />
          <Metric label="Sessions" value={String(summary.n_sessions)} />
          <Metric
            label="Avg brain performance score"
            value={hidden(summary.avg_brain_performance_score, percent)}
            hint="first-try accuracy"
          />
          <Metric
            label="Avg repetition burden"
            value={hidden(summary.avg_repetition_burden, (v) => fixed(v))}
            hint={`avg earth score ${
              hidden(summary.avg_earth_score_bucket, (v) => fixed(v, 1))
            } of 10`}
          />
          {summary.n_water_sessions > 0 && (
            <Metric
              label="Avg stress score"
              value={hidden(summary.avg_stress_score, (v) => fixed(v, 1))}
              hint={`over ${summary.n_water_sessions} water sessions, of 100`}
            />
          )}
          <Metric
            label="Forecast: next brain performance"
            value={hidden(forecast.earth.predicted_next_brain_performance, percent)}
            hint={`mean over ${forecast.earth.n_models} trained player models`}
          />
          {summary.n_water_sessions > 0 && (
            <Metric
              label="Forecast: next stress score"
              value={hidden(forecast.water.predicted_next_stress_score, (v) => fixed(v, 1))}
              hint={`mean over ${forecast.water.n_models} trained player models`}
            />
          )}
        </Metrics>
        <Island
          name="CompanyTrends"
          props={{
            day: { buckets: day.buckets, suppressed: day.suppressed_buckets },
            week: { buckets: week.buckets, suppressed: week.suppressed_buckets },
            initial,
            minN: k,
          }}
        />
      </>
    ),
  });
}
