/** `/company?t=TOKEN`: a company's privacy-guarded aggregates. */
import type { Context } from "hono";
import { DomainError } from "../core/errors.ts";
import { fixed, percent } from "../islands/format.ts";
import type { CompanyInfo } from "../openapi/company.ts";
import { companySummary, companyTimeseries, namedCompanyInfo } from "../services/company.ts";
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

/** GET /company?t=…&bucket=day|week: access denied (403), n/k players, or the dashboard. */
export async function companyPage(c: Context, env: PageEnv): Promise<Response> {
  const { sql, config } = env.deps;
  const token = c.req.query("t");
  const initial = c.req.query("bucket") === "day" ? "day" : "week";
  let company: Named;
  try {
    company = await namedCompanyInfo(sql, config, token);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "forbidden") return deniedPage(c, env);
    throw err;
  }
  const k = config.minCompanyN;
  if (!company.info.has_sufficient_data) return insufficientPage(c, env, company, k);
  let summary, day, week;
  try {
    summary = await companySummary(sql, config, token);
    day = await companyTimeseries(sql, config, token, "day");
    week = await companyTimeseries(sql, config, token, "week");
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
      `${k} different players.`,
    body: (
      <>
        <Metrics>
          <Metric label="Players" value={String(summary.n_players)} />
          <Metric label="Sessions" value={String(summary.n_sessions)} />
          <Metric
            label="Avg brain performance score"
            value={percent(summary.avg_brain_performance_score)}
            hint="first-try accuracy"
          />
          <Metric
            label="Avg repetition burden"
            value={fixed(summary.avg_repetition_burden)}
            hint={`avg earth score ${fixed(summary.avg_earth_score_bucket, 1)} of 10`}
          />
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
