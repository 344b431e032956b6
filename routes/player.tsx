/** `/players/{player_id}`: one player's sessions, trends, model and prediction. */
import type { Context } from "hono";
import { windowDays } from "../core/rollup.ts";
import { REGISTRY, type TaskRegistry } from "../core/tasks.ts";
import { type PlayerDashboard, playerDashboard } from "../services/dashboards.ts";
import { Glossary } from "./_glossary.tsx";
import { handleLogin, loginPage, otherUserPage, sessionUser, SignOut } from "./_auth.tsx";
import { type PageEnv, sendPage } from "./_page.tsx";
import { SessionsTable, TaskSection } from "./_player_cards.tsx";
import { Island } from "./render.tsx";
import { grantCovers } from "../http/auth.ts";
import { Card, DayStrip, Metric, Metrics, Notice } from "./_ui.tsx";

const TITLE = "Player";
const SUBJECT = "This player dashboard";

function Dashboard(
  { data, now, demo, registry }: {
    data: PlayerDashboard;
    now: Date;
    demo: boolean;
    registry: TaskRegistry;
  },
) {
  const { sessions, tasks, engagement } = data;
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
  const metrics = tasks.flatMap((t) => t.task.metrics);
  return (
    <>
      <Metrics>
        <Metric label="Sessions" value={String(sessions.length)} />
      </Metrics>
      {tasks.map((t) => <TaskSection key={t.task.name} registry={registry} data={t} />)}
      {engagement && (
        <div class="grid three">
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
        </div>
      )}
      <SessionsTable sessions={sessions} metrics={metrics} />
      <Glossary registry={registry} keys={metrics.map((m) => m.key)} />
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
  const registry = env.deps.tasks ?? REGISTRY;
  const data = await playerDashboard(env.deps.sql, playerId, now, registry);
  return sendPage(c, env, {
    title: `Player ${playerId}`,
    heading: `Player ${playerId}`,
    lead: data.tasks.length > 0
      ? `One section per task played (${
        data.tasks.map((t) => t.task.label.toLowerCase()).join(", ")
      }); the glossary at the end defines every metric.`
      : undefined,
    body: (
      <>
        {!config.policy.openReads && <SignOut />}
        <Dashboard
          data={data}
          now={now}
          demo={config.policy.demoTools}
          registry={registry}
        />
      </>
    ),
  });
}

/** POST /players/{player_id}: the sign-in form (used in production). */
export function playerLogin(c: Context, env: PageEnv, playerId: string): Promise<Response> {
  return handleLogin(c, env, playerId, { title: TITLE, subject: SUBJECT });
}
