/**
 * `/fleet/devices/{device_id}`: one device for a `*` session — its latest state (the home's IP
 * address is shown here only), hourly heartbeat coverage over 7 days, its users, the latest log
 * snapshot, the command history, a form to queue a command (same cross-site protection as
 * sign-in: a SameSite=Strict session and the Sec-Fetch-Site / Origin check), and its recent
 * recorded sessions, each turn with an audio player streamed by
 * `/fleet/devices/{device_id}/recordings/{recording_id}/audio` (the same `*` session; no
 * credential in a URL).
 */
import type { Context } from "hono";
import { COMMAND_TYPES } from "../openapi/devices.ts";
import type { CommandType } from "../db/commands.ts";
import { listDeviceCommands, queueCommand } from "../services/commands.ts";
import { latestLog } from "../services/device_logs.ts";
import { type DeviceOverview, deviceOverview, listDeviceUsers } from "../services/devices.ts";
import {
  DEVICE_PAGE_SESSIONS,
  DEVICE_PAGE_TURNS,
  deviceRecordedSessions,
  type DeviceSession,
  recordingAudio,
} from "../services/recordings.ts";
import { manifestPath } from "../core/recordings.ts";
import { audioResponse } from "../http/audio.ts";
import type { Command, DeviceUsers } from "../openapi/devices.ts";
import { crossSite, SignOut } from "./_auth.tsx";
import { type PageEnv, sendPage } from "./_page.tsx";
import { relativeTime } from "./engagement.tsx";
import { fleetGate, STATUS_TONE, utcMinute } from "./fleet.tsx";
import { Badge, Card, ChartIsland, Fact, Facts, Metric, Metrics, Notice } from "./_ui.tsx";

export const DEVICE_TITLE = "Device";

const HALF_HOUR_MS = 30 * 60_000;
const DAY_MS = 24 * 60 * 60_000;

const dash = (v: unknown) => (v === null || v === undefined ? "–" : String(v));

function StateCard({ o, now }: { o: DeviceOverview; now: Date }) {
  const d = o.device;
  return (
    <Card title="Latest heartbeat">
      <Facts>
        <Fact label="Status">
          <Badge tone={STATUS_TONE[o.status]}>{o.status}</Badge>
        </Fact>
        <Fact label="Last seen">
          {relativeTime(d.last_seen, now)} ({utcMinute(d.last_seen.toISOString())})
        </Fact>
        <Fact label="Agent">{d.agent_version} ({d.agent_status})</Fact>
        <Fact label="Connectivity">{d.connectivity} on {d.network_interface}</Fact>
        <Fact label="IP address">{d.ip}</Fact>
        <Fact label="Signal (RSSI)">{dash(d.signal_rssi)}</Fact>
        <Fact label="Latency">{d.latency_ms === null ? "–" : `${d.latency_ms} ms`}</Fact>
        <Fact label="Booted">{d.boot_time ? utcMinute(d.boot_time.toISOString()) : "–"}</Fact>
        <Fact label="First seen">{utcMinute(d.first_seen.toISOString())}</Fact>
      </Facts>
    </Card>
  );
}

function UsersCard({ users }: { users: DeviceUsers["users"] }) {
  return (
    <Card title="Users">
      {users.length === 0
        ? <p class="muted">No session summary has named this device.</p>
        : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Users table">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Last session</th>
                  <th scope="col">Sessions</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr>
                    <th scope="row">{u.user_external_id}</th>
                    <td>{utcMinute(u.last_session_at)}</td>
                    <td>{u.session_count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </Card>
  );
}

function CommandsCard({ deviceId, commands, queued }: {
  deviceId: string;
  commands: Command[];
  queued: string | null;
}) {
  return (
    <Card title="Commands" wide>
      {queued && <p role="status">Queued {queued}.</p>}
      <form
        method="post"
        action={`/fleet/devices/${encodeURIComponent(deviceId)}/commands`}
        class="inline-form"
      >
        <label for="command">Queue a command</label>
        <select id="command" name="command" required>
          {COMMAND_TYPES.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
        <button type="submit" class="button">Queue</button>
      </form>
      {commands.length === 0
        ? <p class="muted">No commands yet.</p>
        : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label="Command history">
            <table>
              <thead>
                <tr>
                  <th scope="col">Command</th>
                  <th scope="col">Status</th>
                  <th scope="col">Queued</th>
                  <th scope="col">Picked up</th>
                  <th scope="col">Finished</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {commands.map((cmd) => (
                  <tr>
                    <th scope="row">{cmd.command_type}</th>
                    <td>{cmd.status}</td>
                    <td>{utcMinute(cmd.created_at)}</td>
                    <td>{cmd.picked_up_at ? utcMinute(cmd.picked_up_at) : "–"}</td>
                    <td>{cmd.finished_at ? utcMinute(cmd.finished_at) : "–"}</td>
                    <td>{dash(cmd.error)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
    </Card>
  );
}

/** Returns "2026-02-28 22:30:05 UTC". */
const utcSecond = (d: Date) => `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;

/** Returns the path that streams a recording of the device to the page's player. */
export const deviceAudioPath = (deviceId: string, recordingId: string) =>
  `/fleet/devices/${encodeURIComponent(deviceId)}/recordings/${recordingId}/audio`;

function RecordingsCard({ deviceId, sessions }: { deviceId: string; sessions: DeviceSession[] }) {
  return (
    <Card title="Recorded sessions" wide>
      {sessions.length === 0
        ? <p class="muted">No voice recording from this device.</p>
        : (
          <p class="muted small">
            The latest {DEVICE_PAGE_SESSIONS} sessions, at most {DEVICE_PAGE_TURNS}{" "}
            recordings each. Voices and transcripts are personal data: this page is for fleet
            sessions only.
          </p>
        )}
      {sessions.map((s) => (
        <section class="recorded-session">
          <h3>Session {s.session_id}</h3>
          <p class="muted small">
            Started {utcSecond(s.started_at)} · {s.recording_count}{" "}
            {s.recording_count === 1 ? "recording" : "recordings"}
            {s.recording_count > s.recordings.length &&
              ` (the first ${s.recordings.length} shown; all of them: GET ${
                manifestPath(s.session_id)
              })`}
          </p>
          <div
            class="table-wrap"
            tabIndex={0}
            role="region"
            aria-label={`Turns of session ${s.session_id}`}
          >
            <table>
              <thead>
                <tr>
                  <th scope="col">Turn</th>
                  <th scope="col">Role</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Recorded</th>
                  <th scope="col">Audio</th>
                  <th scope="col">Transcript</th>
                </tr>
              </thead>
              <tbody>
                {s.recordings.map((r) => (
                  <tr>
                    <th scope="row">{r.turn_number}</th>
                    <td>{r.role}</td>
                    <td>{(r.duration_ms / 1000).toFixed(1)} s</td>
                    <td>{utcSecond(r.recorded_at)}</td>
                    <td>
                      <audio
                        controls
                        preload="none"
                        src={deviceAudioPath(deviceId, r.recording_id)}
                        aria-label={`Turn ${r.turn_number}, ${r.role}`}
                      />
                    </td>
                    <td>
                      {r.transcript === null ? "–" : (
                        <details class="transcript">
                          <summary>Transcript</summary>
                          <p>{r.transcript}</p>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ))}
    </Card>
  );
}

/** GET /fleet/devices/{device_id}[?queued=TYPE]: the device page for a `*` session. */
export async function devicePage(c: Context, env: PageEnv, deviceId: string): Promise<Response> {
  const gate = await fleetGate(c, env, DEVICE_TITLE);
  if (gate) return gate;
  const { sql } = env.deps;
  const now = env.deps.now();
  const overview = await deviceOverview(sql, deviceId, now);
  if (overview === null) {
    return sendPage(c, env, {
      title: DEVICE_TITLE,
      status: 404,
      body: (
        <Notice title="Unknown device" tone="warn">
          <p>
            No heartbeat has come from this device. <a href="/fleet">Back to the fleet</a>
          </p>
        </Notice>
      ),
    });
  }
  const [users, snapshot, commands, recorded] = await Promise.all([
    listDeviceUsers(sql, deviceId),
    latestLog(sql, deviceId),
    listDeviceCommands(sql, deviceId),
    deviceRecordedSessions(sql, deviceId),
  ]);
  const queued = c.req.query("queued");
  // A true time axis (islands/_chart.ts): each bar at the middle of its UTC hour, ticks at UTC
  // midnights; the labels (tooltips, the text alternative) name the hour ("2025-10-22 17:00").
  const labels = overview.hours.map((h) => h.hour.slice(0, 16).replace("T", " "));
  const times = overview.hours.map((h) => Date.parse(h.hour) + HALF_HOUR_MS);
  return sendPage(c, env, {
    title: DEVICE_TITLE,
    heading: `Device · ${deviceId}`,
    lead: (
      <>
        <a href="/fleet">Fleet</a> · the last 7 days (UTC)
      </>
    ),
    body: (
      <>
        <SignOut />
        <Metrics>
          <Metric label="Status" value={overview.status} />
          <Metric label="Uptime (7 days)" value={`${overview.uptimePct.toFixed(2)} %`} />
          <Metric label="Reboots (7 days)" value={String(overview.reboots)} />
          <Metric label="Usual connectivity" value={dash(overview.usualConnectivity)} />
        </Metrics>
        <div class="grid">
          <StateCard o={overview} now={now} />
          <UsersCard users={users.users} />
        </div>
        <Card wide>
          <div class="charts">
            <ChartIsland
              props={{
                title: "Minutes confirmed per hour, UTC (each heartbeat confirms 5)",
                spec: {
                  kind: "bar",
                  labels,
                  times,
                  step: DAY_MS,
                  series: [{
                    name: "Minutes",
                    data: overview.hours.map((h) => h.uptimeSeconds / 60),
                    color: "green",
                  }],
                  yMin: 0,
                  yMax: 60,
                  integer: true,
                },
              }}
            />
          </div>
        </Card>
        <CommandsCard
          deviceId={deviceId}
          commands={commands}
          queued={queued && (COMMAND_TYPES as readonly string[]).includes(queued) ? queued : null}
        />
        <Card title="Latest log snapshot" wide>
          {snapshot === null ? <p class="muted">No log snapshot yet (queue UPLOAD_LOGS).</p> : (
            <>
              <p class="muted small">Uploaded {utcMinute(snapshot.created_at)}</p>
              <pre class="log" tabIndex={0} role="region" aria-label="Log snapshot">
                {snapshot.log_content}
              </pre>
            </>
          )}
        </Card>
        <RecordingsCard deviceId={deviceId} sessions={recorded} />
      </>
    ),
  });
}

/**
 * GET /fleet/devices/{device_id}/recordings/{recording_id}/audio: a recording of this device
 * for the page's player (a `*` session, like the page: sign-in 401 or 403 otherwise), streamed
 * like the admin read (content type, one byte range, `Cache-Control: no-store`); 404 for an
 * unknown id or a recording of another device.
 */
export async function deviceRecordingAudio(
  c: Context,
  env: PageEnv,
  deviceId: string,
  recordingId: string,
): Promise<Response> {
  const gate = await fleetGate(c, env, DEVICE_TITLE);
  if (gate) return gate;
  const audio = await recordingAudio(
    env.deps.sql,
    env.deps.objects,
    recordingId,
    c.req.header("range"),
    { deviceId },
  );
  return audioResponse(audio);
}

/**
 * POST /fleet/devices/{device_id}/commands: queues the chosen command for a `*` session and
 * redirects back (303); a form from another site is refused (403) before anything is read.
 */
export async function queueCommandForm(
  c: Context,
  env: PageEnv,
  deviceId: string,
): Promise<Response> {
  if (crossSite(c)) {
    return sendPage(c, env, {
      title: DEVICE_TITLE,
      status: 403,
      body: <Notice title="Cross-site form rejected" tone="error" />,
    });
  }
  const gate = await fleetGate(c, env, DEVICE_TITLE);
  if (gate) return gate;
  let command = "";
  try {
    const form = await c.req.parseBody();
    command = typeof form.command === "string" ? form.command : "";
  } catch {
    command = "";
  }
  if (!(COMMAND_TYPES as readonly string[]).includes(command)) {
    return sendPage(c, env, {
      title: DEVICE_TITLE,
      status: 422,
      body: (
        <Notice title="Unknown command" tone="error">
          <p>Choose one of {COMMAND_TYPES.join(", ")}.</p>
        </Notice>
      ),
    });
  }
  await queueCommand(
    env.deps.sql,
    deviceId,
    command as CommandType,
    env.deps.now(),
    env.deps.commandHints,
  );
  const back = `/fleet/devices/${encodeURIComponent(deviceId)}?queued=${command}`;
  return new Response(null, {
    status: 303,
    headers: { Location: back, "Cache-Control": "no-store" },
  });
}
