/** `/players/{player_id}`: one player's sessions, trends, model and prediction. */
import type { Context } from "hono";
import { windowDays } from "../core/rollup.ts";
import { fixed, percent } from "../islands/format.ts";
import {
  type EarthSession,
  type PlayerDashboard,
  playerDashboard,
  type WaterSession,
} from "../services/dashboards.ts";
import { handleLogin, loginPage, otherUserPage, sessionUser, SignOut } from "./_auth.tsx";
import { type PageEnv, sendPage } from "./_page.tsx";
import { ModelCard, Prediction, SessionsTable, StressPrediction } from "./_player_cards.tsx";
import { Island } from "./render.tsx";
import { grantCovers } from "../http/auth.ts";
import { Card, ChartIsland, DayStrip, Metric, Metrics, Notice } from "./_ui.tsx";

const TITLE = "Player";
const SUBJECT = "This player dashboard";

function Charts({ sessions, outcomes }: {
  sessions: EarthSession[];
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

function StressChart({ sessions }: { sessions: WaterSession[] }) {
  return (
    <Card title="Stress">
      <div class="charts">
        <ChartIsland
          props={{
            title: "Stress score per water session (0 = calm, 100 = most stressed)",
            spec: {
              kind: "line",
              labels: sessions.map((_, i) => `#${i + 1}`),
              series: [{
                name: "Stress",
                data: sessions.map((s) => s.stress_score),
                color: "violet",
              }],
              yMin: 0,
              yMax: 100,
            },
          }}
        />
      </div>
    </Card>
  );
}

function Dashboard({ data, now, demo }: { data: PlayerDashboard; now: Date; demo: boolean }) {
  const { sessions, earthSessions, waterSessions, totals, water, model, waterModel, engagement } =
    data;
  const generator = demo && (
    <Card title="Demo data (development only)">
      <p class="muted">
        Plays five sessions for this player through the public API, from poor to perfect, one a day
        ending today.
      </p>
      <Island name="DemoGenerator" props={{ playerId: data.playerId }} />
    </Card>
  );
  if (sessions.length === 0) {
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
  const lastWater = waterSessions.at(-1);
  return (
    <>
      <Metrics>
        <Metric label="Sessions" value={String(sessions.length)} />
        {totals && (
          <>
            <Metric label="Avg brain performance (FTA)" value={percent(totals.avgFta)} />
            <Metric label="Avg repetition burden" value={fixed(totals.avgBurden)} hint="1 = best" />
            <Metric label="Avg earth score" value={fixed(totals.avgEarthScore, 1)} hint="of 10" />
          </>
        )}
        {water && (
          <>
            <Metric label="Avg stress score" value={fixed(water.avgStress, 1)} hint="of 100" />
            <Metric
              label="Latest stress score"
              value={fixed(water.latestStress, 1)}
              hint="of 100"
            />
          </>
        )}
      </Metrics>
      {totals && <Charts sessions={earthSessions} outcomes={totals.outcomes} />}
      {lastWater && <StressChart sessions={waterSessions} />}
      <div class="grid three">
        {totals && (model
          ? <ModelCard model={model} title="Model" weights={["last FTA", "last burden"]} />
          : <Card title="Model">No model yet.</Card>)}
        {totals && <Prediction model={model} last={earthSessions.at(-1) ?? null} />}
        {lastWater && (waterModel
          ? <ModelCard model={waterModel} title="Water model" weights={["last stress"]} />
          : <Card title="Water model">No model yet.</Card>)}
        {lastWater && <StressPrediction model={waterModel} last={lastWater} />}
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
      <SessionsTable sessions={sessions} stress={lastWater !== undefined} />
      {generator}
    </>
  );
}

/** GET /players/{player_id}: the dashboard (in production only with a covering session). */
export async function playerPage(c: Context, env: PageEnv, playerId: string): Promise<Response> {
  const { config } = env.deps;
  if (!config.policy.openReads) {
    const granted = await sessionUser(c, env);
    if (granted === null) return loginPage(c, env, { title: TITLE, subject: SUBJECT });
    if (!grantCovers(granted, playerId)) return otherUserPage(c, env, TITLE);
  }
  const now = env.deps.now();
  const data = await playerDashboard(env.deps.sql, playerId, now);
  return sendPage(c, env, {
    title: `Player ${playerId}`,
    heading: `Player ${playerId}`,
    lead: data.totals
      ? "First-try accuracy (FTA) is the share of a session's three sequences solved on the " +
        "first attempt; repetition burden is the mean number of attempts used." +
        (data.water ? " The stress score (0–100) is what the water task's client reports." : "")
      : data.water
      ? "The stress score (0–100) is what the water task's client reports when a session ends."
      : undefined,
    body: (
      <>
        {!config.policy.openReads && <SignOut />}
        <Dashboard data={data} now={now} demo={config.policy.demoTools} />
      </>
    ),
  });
}

/** POST /players/{player_id}: the sign-in form (used in production). */
export function playerLogin(c: Context, env: PageEnv, playerId: string): Promise<Response> {
  return handleLogin(c, env, playerId, { title: TITLE, subject: SUBJECT });
}
