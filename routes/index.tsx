/** `/`: what the service is, where its dashboards and API docs are, and whether it is healthy. */
import type { Context } from "hono";
import { ping } from "../db/health.ts";
import { type PageEnv, sendPage } from "./_page.tsx";
import { Badge, Card, Fact, Facts } from "./_ui.tsx";

const PING_TIMEOUT_MS = 2000;

/** Returns the database round-trip time in ms, or null when it fails or takes too long. */
async function databaseLatency(env: PageEnv): Promise<number | null> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      ping(env.deps.sql),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timeout")), PING_TIMEOUT_MS);
      }),
    ]);
    return Math.round((performance.now() - started) * 10) / 10;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/** Renders the home page (200 when the database answers, 503 otherwise). */
export async function homePage(c: Context, env: PageEnv): Promise<Response> {
  const { config } = env.deps;
  const latency = await databaseLatency(env);
  const healthy = latency !== null;
  return sendPage(c, env, {
    title: "Home",
    heading: "Earth Task Telemetry",
    lead: "Play telemetry for the Earth Task game, privacy-guarded company aggregates and " +
      "family engagement rollups, served from one database.",
    status: healthy ? 200 : 503,
    body: (
      <>
        <div class="grid three">
          <Card title="Player dashboard">
            <p class="muted">
              Sessions, first-try accuracy and repetition burden over time, the player's model and
              next-session prediction.
            </p>
            <form method="get" action="/player" class="inline-form">
              <label for="player_id">Player id</label>
              <input id="player_id" name="player_id" type="text" required maxLength={128} />
              <button type="submit" class="button">Open</button>
            </form>
          </Card>
          <Card title="Company dashboard">
            <p class="muted">
              Averages over a company's players, shown only when at least {config.minCompanyN}{" "}
              players stand behind every number. Open it with the link your operator sent you
              (<code>/company?t=…</code>).
            </p>
            <form method="get" action="/company" class="inline-form">
              <label for="t">Dashboard token</label>
              <input id="t" name="t" type="password" required maxLength={256} />
              <button type="submit" class="button">Open</button>
            </form>
          </Card>
          <Card title="Family engagement">
            <p class="muted">
              The last seven days of a user: streak, minutes per day and the tone of recent
              sessions. Needs a dashboard token.
            </p>
            <form method="get" action="/engagement" class="inline-form">
              <label for="user_id">User id</label>
              <input id="user_id" name="user_id" type="text" required maxLength={128} />
              <button type="submit" class="button">Open</button>
            </form>
          </Card>
          <Card title="Device fleet">
            <p class="muted">
              The companion devices: which are alive, their uptime and users, and remote commands.
              Needs a dashboard token for every user.
            </p>
            <p>
              <a class="button" href="/fleet">Open the fleet</a>
            </p>
          </Card>
        </div>
        <div class="grid">
          <Card title="Status">
            <Facts>
              <Fact label="Service">
                <Badge tone="ok">running</Badge>
              </Fact>
              <Fact label="Database">
                {healthy
                  ? <Badge tone="ok">connected · {latency} ms</Badge>
                  : <Badge tone="bad">unavailable</Badge>}
              </Fact>
              <Fact label="Store">
                {config.databaseUrl ? "PostgreSQL" : "embedded PGlite (development store)"}
              </Fact>
              <Fact label="Environment">{config.appEnv}</Fact>
            </Facts>
          </Card>
          <Card title="For integrators">
            <ul>
              {config.policy.docsOpen && (
                <li>
                  <a href="/docs">API documentation</a> (<a href="/openapi.json">OpenAPI 3.1</a>)
                </li>
              )}
              <li>
                <a href="/health">/health</a>, <a href="/healthz">/healthz</a>,{" "}
                <a href="/readyz">/readyz</a> probes
              </li>
              <li>
                The game posts attempts to <code>POST /events</code> and closes a session with{" "}
                <code>POST /sessions/{"{session_id}"}/finalize</code>.
              </li>
            </ul>
          </Card>
        </div>
      </>
    ),
  });
}
