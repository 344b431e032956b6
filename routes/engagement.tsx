/** `/engagement/{user_id}`: a family's seven-day engagement dashboard (dashboard-token session). */
import type { Context } from "hono";
import type { EngagementDashboard } from "../openapi/engagement.ts";
import { windowDays } from "../core/rollup.ts";
import { dayLabel, fixed } from "../islands/format.ts";
import { buildEngagementDashboard } from "../services/engagement.ts";
import { handleLogin, loginPage, otherUserPage, sessionUser, SignOut } from "./_auth.tsx";
import { type PageEnv, sendPage } from "./_page.tsx";
import { grantCovers } from "../http/auth.ts";
import { Badge, Card, ChartIsland, DayStrip, Metric, Metrics, Notice } from "./_ui.tsx";

const HOUR = 3_600_000;
const TITLE = "Family engagement";
const SUBJECT = "This engagement dashboard";

/** Returns "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
export function relativeTime(then: Date, now: Date): string {
  const ms = now.getTime() - then.getTime();
  if (ms < 60_000) return ms < -60_000 ? "in the future" : "just now";
  const units: [number, string][] = [[86_400_000, "day"], [HOUR, "hour"], [60_000, "minute"]];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? "" : "s"} ago`;
  }
  return "just now";
}

/** Returns how fresh the last session is: under 24 h recent, under 72 h warning, else stale. */
export function freshness(then: Date, now: Date): "recent" | "warning" | "stale" {
  const ms = now.getTime() - then.getTime();
  return ms < 24 * HOUR ? "recent" : ms < 72 * HOUR ? "warning" : "stale";
}

const FRESHNESS_TONE = { recent: "ok", warning: "warn", stale: "bad" } as const;
const TONE_BADGE = { positive: "ok", neutral: "muted", negative: "bad" } as const;

function Dashboard(
  { userId, rollup, now }: { userId: string; rollup: EngagementDashboard; now: Date },
) {
  const days = windowDays(now);
  const labels = days.map((d, i) => (i === days.length - 1 ? "Today" : dayLabel(d)));
  const last = rollup.lastSession.timestamp ? new Date(rollup.lastSession.timestamp) : null;
  const fresh = last ? freshness(last, now) : null;
  const sentiment = rollup.toneTrend.dailySentiment;
  return (
    <>
      <SignOut />
      {last === null && (
        <Notice title="No sessions yet">
          <p>
            Nothing has been recorded for <strong>{userId}</strong>{" "}
            yet. Sessions appear here as soon as the companion device or the game sends them.
          </p>
        </Notice>
      )}
      <Metrics>
        <Metric
          label="Last session"
          value={last ? relativeTime(last, now) : "never"}
          hint={last ? last.toISOString().slice(0, 16).replace("T", " ") + " UTC" : undefined}
        />
        <Metric
          label="Streak"
          value={`${rollup.streak.days} day${rollup.streak.days === 1 ? "" : "s"}`}
        />
        <Metric label="Average minutes (active days)" value={String(rollup.avgDuration.minutes)} />
        <Metric label="Current tone" value={rollup.toneTrend.current} />
      </Metrics>
      <div class="grid">
        <Card title="Activity">
          <p>
            Last session: {fresh
              ? <Badge tone={FRESHNESS_TONE[fresh]}>{fresh}</Badge>
              : <Badge tone="muted">none</Badge>}
          </p>
          <p class="muted small">Recent: under 24 h · warning: under 72 h · stale: older.</p>
          <DayStrip
            days={days}
            active={rollup.streak.dailyActivity}
            minutes={rollup.avgDuration.dailyDurations}
          />
        </Card>
        <Card title="Tone">
          <p>
            Current tone:{" "}
            <Badge tone={TONE_BADGE[rollup.toneTrend.current]}>{rollup.toneTrend.current}</Badge>
          </p>
          <p class="muted">
            Daily sentiment (0–1): {sentiment.map((s) => (s === null ? "–" : fixed(s))).join(" · ")}
          </p>
        </Card>
      </div>
      <Card>
        <div class="charts">
          <ChartIsland
            props={{
              title: "Minutes per day",
              spec: {
                kind: "bar",
                labels,
                series: [{
                  name: "Minutes",
                  data: rollup.avgDuration.dailyDurations,
                  color: "green",
                }],
                yMin: 0,
                integer: true,
              },
            }}
          />
          <ChartIsland
            props={{
              title: "Sentiment per day (0 = low, 1 = high)",
              spec: {
                kind: "line",
                labels,
                series: [{ name: "Sentiment", data: sentiment, color: "violet" }],
                yMin: 0,
                yMax: 1,
              },
            }}
          />
        </div>
      </Card>
    </>
  );
}

/** GET /engagement/{user_id}: the dashboard for a signed-in session, else the sign-in form. */
export async function engagementPage(c: Context, env: PageEnv, userId: string): Promise<Response> {
  const granted = await sessionUser(c, env);
  if (granted === null) return loginPage(c, env, { title: TITLE, subject: SUBJECT });
  if (!grantCovers(granted, userId)) return otherUserPage(c, env, TITLE);
  const now = env.deps.now();
  const rollup = await buildEngagementDashboard(env.deps.sql, userId, now);
  return sendPage(c, env, {
    title: TITLE,
    heading: `Engagement · ${userId}`,
    lead: "The last seven days (UTC), today on the right.",
    body: <Dashboard userId={userId} rollup={rollup} now={now} />,
  });
}

/** POST /engagement/{user_id}: the sign-in form. */
export function engagementLogin(c: Context, env: PageEnv, userId: string): Promise<Response> {
  return handleLogin(c, env, userId, { title: TITLE, subject: SUBJECT });
}
