/**
 * `/fleet`: every companion device with its status, last seen, 7-day uptime and reboots (a
 * signed-in dashboard session mapped to `*`), 100 per page, newest last seen first.
 */
import type { Context } from "hono";
import { fleetPage, type FleetPageRow } from "../services/devices.ts";
import { handleLogin, loginPage, otherUserPage, sessionUser, SignOut } from "./_auth.tsx";
import { type PageEnv, sendPage } from "./_page.tsx";
import { relativeTime } from "./engagement.tsx";
import { Badge, Card, Notice } from "./_ui.tsx";

export const FLEET_TITLE = "Device fleet";
const SUBJECT = "The device fleet";
/** The session grant the fleet pages need: a token mapped to every user. */
const WILDCARD = "*";

/** The badge tone of each device status. */
export const STATUS_TONE = { healthy: "ok", degraded: "warn", dead: "bad" } as const;

/** Returns "2025-10-22 18:00 UTC". */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Returns null when the request's session may see the fleet (`*`), else the page to answer:
 * the sign-in form (401) or access denied (403).
 */
export async function fleetGate(c: Context, env: PageEnv, title: string) {
  const granted = await sessionUser(c, env);
  if (granted === null) return loginPage(c, env, { title, subject: SUBJECT });
  if (granted !== WILDCARD) return otherUserPage(c, env, title);
  return null;
}

/** POST to a fleet page: the sign-in form (a `*` token only). */
export function fleetLogin(c: Context, env: PageEnv, title = FLEET_TITLE): Promise<Response> {
  return handleLogin(c, env, WILDCARD, { title, subject: SUBJECT });
}

function Row({ row, now }: { row: FleetPageRow; now: Date }) {
  return (
    <tr>
      <th scope="row">
        <a href={`/fleet/devices/${encodeURIComponent(row.deviceId)}`}>{row.deviceId}</a>
      </th>
      <td>
        <Badge tone={STATUS_TONE[row.status]}>{row.status}</Badge>
      </td>
      <td>
        {relativeTime(new Date(row.lastSeen), now)}
        <span class="muted small block">{utcMinute(row.lastSeen)}</span>
      </td>
      <td>{row.uptimePct.toFixed(2)} %</td>
      <td>{row.reboots}</td>
      <td>{row.agentVersion}</td>
      <td>{row.connectivity}</td>
    </tr>
  );
}

/** GET /fleet[?after=]: the fleet table for a `*` session, else sign-in or access denied. */
export async function fleetListPage(c: Context, env: PageEnv): Promise<Response> {
  const gate = await fleetGate(c, env, FLEET_TITLE);
  if (gate) return gate;
  const now = env.deps.now();
  const page = await fleetPage(env.deps.sql, c.req.query("after") || undefined, now);
  const counts = { healthy: 0, degraded: 0, dead: 0 };
  for (const r of page.rows) counts[r.status]++;
  return sendPage(c, env, {
    title: FLEET_TITLE,
    lead: `Every companion device, newest heartbeat first. Dead: no heartbeat for 20 minutes.`,
    body: (
      <>
        <SignOut />
        {page.rows.length === 0
          ? (
            <Notice title="No devices yet">
              <p>Devices appear here after their first heartbeat.</p>
            </Notice>
          )
          : (
            <Card wide>
              <p>
                This page: <Badge tone="ok">{counts.healthy} healthy</Badge>{" "}
                <Badge tone="warn">{counts.degraded} degraded</Badge>{" "}
                <Badge tone="bad">{counts.dead} dead</Badge>
              </p>
              <div class="table-wrap" tabIndex={0} role="region" aria-label="Devices table">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Device</th>
                      <th scope="col">Status</th>
                      <th scope="col">Last seen</th>
                      <th scope="col">Uptime (7 days)</th>
                      <th scope="col">Reboots (7 days)</th>
                      <th scope="col">Agent</th>
                      <th scope="col">Connectivity</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.rows.map((row) => <Row key={row.deviceId} row={row} now={now} />)}
                  </tbody>
                </table>
              </div>
              {page.next && (
                <p>
                  <a class="button" href={`/fleet?after=${encodeURIComponent(page.next)}`}>
                    Next page
                  </a>
                </p>
              )}
            </Card>
          )}
      </>
    ),
  });
}
