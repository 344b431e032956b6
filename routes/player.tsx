/** `/players/{player_id}`: one player's sessions, trends, model and prediction. */
import type { Context } from "hono";
import { windowDays } from "../core/rollup.ts";
import { fixed, percent, utcMinute } from "../islands/format.ts";
import type { ModelState, SessionSummary } from "../openapi/telemetry.ts";
import { type PlayerDashboard, playerDashboard } from "../services/dashboards.ts";
import { handleLogin, loginPage, otherUserPage, sessionUser, SignOut } from "./_auth.tsx";
import { type PageEnv, sendPage } from "./_page.tsx";
import { Island } from "./render.tsx";
import { sessionCovers } from "./session.ts";
import {
  Badge,
  Card,
  ChartIsland,
  DayStrip,
  Fact,
  Facts,
  Metric,
  Metrics,
  Notice,
} from "./_ui.tsx";
import { validUserId } from "./engagement.tsx";

const TITLE = "Player";
const SUBJECT = "This player dashboard";

function Charts({ sessions, outcomes }: {
  sessions: SessionSummary[];
  outcomes: { 0: number; 5: number; 10: number };
}) {
  const labels = sessions.map((_, i) => `#${i + 1}`);
  return (
    <Card title="Trends">
      <div class="charts">
        <ChartIsland
          props={{
            title: "First-try accuracy per session",
            spec: {
              kind: "line",
              labels,
              series: [{ name: "FTA", data: sessions.map((s) => s.fta_level), color: "blue" }],
              yMin: 0,
              yMax: 1,
              percent: true,
            },
          }}
        />
        <ChartIsland
          props={{
            title: "Repetition burden per session (1 = best, 3 = worst)",
            spec: {
              kind: "line",
              labels,
              series: [{
                name: "Burden",
                data: sessions.map((s) => s.repetition_burden),
                color: "orange",
              }],
              yMin: 1,
              yMax: 3,
            },
          }}
        />
        <ChartIsland
          props={{
            title: "Earth-score outcomes",
            size: "sm",
            spec: {
              kind: "bar",
              labels: ["0 (unsolved)", "5 (solved)", "10 (all first try)"],
              series: [{
                name: "Sessions",
                data: [outcomes[0], outcomes[5], outcomes[10]],
                color: "green",
              }],
              yMin: 0,
              integer: true,
            },
          }}
        />
      </div>
    </Card>
  );
}

function SessionsTable({ sessions }: { sessions: SessionSummary[] }) {
  return (
    <Card title="Sessions" wide>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Sessions table">
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>Played</th>
              <th>Session</th>
              <th class="num">FTA</th>
              <th>Strict</th>
              <th class="num">Burden</th>
              <th class="num">Earth score</th>
              <th class="num">Attempts</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s, i) => (
              <tr>
                <td>{i + 1}</td>
                <td>{utcMinute(s.played_at)}</td>
                <td>{s.session_id}</td>
                <td class="num">{percent(s.fta_level)}</td>
                <td>{s.fta_strict ? "yes" : "no"}</td>
                <td class="num">{fixed(s.repetition_burden)}</td>
                <td class="num">{s.earth_score_bucket}</td>
                <td class="num">{s.n_attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}

function ModelCard({ model }: { model: ModelState }) {
  const [wFta, wBurden] = model.coefficients ?? [null, null];
  const num = (v: number | null, d = 3) => (v === null ? "–" : fixed(v, d));
  return (
    <Card title="Model">
      <Facts>
        <Fact label="Status">
          {model.status === "trained"
            ? <Badge tone="ok">trained</Badge>
            : <Badge tone="muted">insufficient data</Badge>}
        </Fact>
        <Fact label="Samples (sessions)">{model.n_samples}</Fact>
        <Fact label="Last trained">{utcMinute(model.trained_ts_utc)}</Fact>
        <Fact label="MAE">{num(model.mae)}</Fact>
        <Fact label="Weight: last FTA">{num(wFta)}</Fact>
        <Fact label="Weight: last burden">{num(wBurden)}</Fact>
        <Fact label="Intercept">{num(model.intercept)}</Fact>
      </Facts>
    </Card>
  );
}

function Prediction({ model, last }: { model: ModelState | null; last: SessionSummary | null }) {
  let body;
  if (model === null || last === null) {
    body = <p class="muted">No prediction: this player has no finalized sessions yet.</p>;
  } else if (model.status !== "trained" || model.predicted_next_fta === null) {
    body = (
      <p class="muted">
        No prediction yet: the model needs at least 3 finalized sessions to learn from (this player
        has {model.n_samples}).
      </p>
    );
  } else {
    body = (
      <>
        <div class="big">{percent(model.predicted_next_fta)}</div>
        <p class="muted">predicted first-try accuracy of the next session</p>
        <Facts>
          <Fact label="Last actual FTA">{percent(last.fta_level)}</Fact>
          <Fact label="Last actual burden">{fixed(last.repetition_burden)}</Fact>
        </Facts>
      </>
    );
  }
  return <Card title="Next session">{body}</Card>;
}

function Dashboard({ data, now, demo }: { data: PlayerDashboard; now: Date; demo: boolean }) {
  const { sessions, totals, model, engagement } = data;
  const generator = demo && (
    <Card title="Demo data (development only)">
      <p class="muted">
        Plays five sessions for this player through the public API, from poor to perfect, one a day
        ending today.
      </p>
      <Island name="DemoGenerator" props={{ playerId: data.playerId }} />
    </Card>
  );
  if (!totals) {
    return (
      <>
        <Notice title="No sessions yet">
          <p>
            There are no finalized sessions for this player. Sessions appear here once the game
            posts its attempts to <code>POST /events</code> and finalizes the session.
          </p>
        </Notice>
        {generator}
      </>
    );
  }
  return (
    <>
      <Metrics>
        <Metric label="Sessions" value={String(totals.sessions)} />
        <Metric label="Avg brain performance (FTA)" value={percent(totals.avgFta)} />
        <Metric label="Avg repetition burden" value={fixed(totals.avgBurden)} hint="1 = best" />
        <Metric label="Avg earth score" value={fixed(totals.avgEarthScore, 1)} hint="of 10" />
      </Metrics>
      <Charts sessions={sessions} outcomes={totals.outcomes} />
      <div class="grid three">
        {model ? <ModelCard model={model} /> : <Card title="Model">No model yet.</Card>}
        <Prediction model={model} last={sessions.at(-1) ?? null} />
        {engagement && (
          <Card title="Last seven days">
            <DayStrip
              days={windowDays(now)}
              active={engagement.streak.dailyActivity}
              minutes={engagement.avgDuration.dailyDurations}
            />
            <p class="muted">
              Streak: {engagement.streak.days} day{engagement.streak.days === 1 ? "" : "s"}
            </p>
          </Card>
        )}
      </div>
      <SessionsTable sessions={sessions} />
      {generator}
    </>
  );
}

/** GET /players/{player_id}: the dashboard (in production only with a covering session). */
export async function playerPage(c: Context, env: PageEnv, playerId: string): Promise<Response> {
  const { config } = env.deps;
  if (!validUserId(playerId)) {
    return sendPage(c, env, {
      title: TITLE,
      status: 404,
      body: <Notice title="Not a valid player id" tone="warn" />,
    });
  }
  if (config.appEnv === "production") {
    const granted = await sessionUser(c, env);
    if (granted === null) return loginPage(c, env, { title: TITLE, subject: SUBJECT });
    if (!sessionCovers(granted, playerId)) return otherUserPage(c, env, TITLE);
  }
  const now = env.deps.now();
  const data = await playerDashboard(env.deps.sql, playerId, now);
  return sendPage(c, env, {
    title: `Player ${playerId}`,
    heading: `Player ${playerId}`,
    lead: data.totals
      ? "First-try accuracy (FTA) is the share of a session's three sequences solved on the " +
        "first attempt; repetition burden is the mean number of attempts used."
      : undefined,
    body: (
      <>
        {config.appEnv === "production" && <SignOut />}
        <Dashboard data={data} now={now} demo={config.appEnv === "development"} />
      </>
    ),
  });
}

/** POST /players/{player_id}: the sign-in form (used in production). */
export function playerLogin(c: Context, env: PageEnv, playerId: string): Promise<Response> {
  return handleLogin(c, env, playerId, { title: TITLE, subject: SUBJECT });
}
