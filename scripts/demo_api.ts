/**
 * `deno task demo` while the service runs: the embedded data directory is then locked by the
 * service, so the demo goes through the running service's API (the SDK client) instead of the
 * database. The data and the report are the same; only finalize times are the service's clock,
 * and the fleet is the part of it the API can write (`writeFleet` below).
 */
import type { Config } from "../config.ts";
import { companyIdFor, dashboardTokenFor } from "../core/company.ts";
import { ApiError, createClient, type TelemetryClient } from "../sdk/mod.ts";
import { generateDemo } from "./demo_data.ts";
import { DEMO_DEVICES, DEMO_LOG, demoDeviceOf, type DemoFleet, heartbeatOf } from "./demo_fleet.ts";
import type { DemoOptions, DemoResult } from "./_demo_types.ts";

/** Returns whether a service answers GET /health at `base` within a second. */
export async function serviceAnswers(base: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Returns the client the demo uses: the configured ingest, dashboard and admin credentials. */
function demoClient(base: string, config: Config): TelemetryClient {
  return createClient({
    baseUrl: base,
    ingestToken: config.ingestTokens[0],
    dashboardToken: config.dashboardGrants.find((g) => g.user === "*")?.token,
    adminKey: config.adminKey === "" ? undefined : config.adminKey,
    adminToken: config.adminToken === "" ? undefined : config.adminToken,
    retryDelayMs: 100,
  });
}

/**
 * Returns what was written through the API of the service at `base`; throws Error with what to do
 * when the service refuses the credentials or uses other salts than this environment.
 */
export async function writeDemoOverApi(
  base: string,
  config: Config,
  options: DemoOptions,
): Promise<DemoResult> {
  const progress = options.progress ?? (() => {});
  const api = demoClient(base, config);
  const demo = generateDemo(options.seed, options.now);
  if (options.reset) {
    throw new Error(
      "--reset deletes data, which the API does not offer: stop the service, run " +
        "`deno task demo --reset`, then start the service again.",
    );
  }
  try {
    const written = await writeAll(api, config, demo, progress);
    for (const c of written.companies) await api.companyInfo(c.dashboard_token);
    return { ...written, fleet: await writeFleet(api, config, options.now, progress) };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
      throw new Error(
        `the service at ${base} refused the demo's credentials (${err.message}). Run the demo ` +
          "with the same INGEST_SERVICE_TOKEN, DASHBOARD_TOKEN_MAP, COMPANY_SALT and " +
          "DASHBOARD_TOKEN_SALT as the service, or stop the service and run it again.",
      );
    }
    throw err;
  }
}

async function writeAll(
  api: TelemetryClient,
  config: Config,
  demo: DemoResult["demo"],
  progress: NonNullable<DemoOptions["progress"]>,
): Promise<Omit<DemoResult, "fleet">> {
  const companies = [];
  for (const c of demo.companies) {
    // Without ADMIN_KEY the company is registered by its first finalized session, under the
    // token the service derives from its salts (the same as this environment's by default).
    const id = companyIdFor(c.name, config.companySalt);
    const seeded = config.adminKey === ""
      ? {
        company_id: id,
        company_name: c.name,
        dashboard_token: dashboardTokenFor(id, config.dashboardTokenSalt),
      }
      : await api.seedCompany({ company_name: c.name });
    companies.push({ ...seeded, players: c.players.length });
  }

  const events = { stored: 0, duplicates: 0 };
  const total = demo.sessions.reduce((n, s) => n + s.events.length, 0);
  const present = new Set<string>();
  let posted = 0;
  progress("events", 0, total);
  for (const s of demo.sessions) {
    posted += s.events.length;
    try {
      const r = await api.postEvents(s.events);
      events.stored += r.stored;
      events.duplicates += r.duplicates;
    } catch (err) {
      // A session of an earlier run: finalized, so its events are refused (409); left as it is.
      if (!(err instanceof ApiError && err.status === 409)) throw err;
      present.add(s.sessionId);
    }
    progress("events", posted, total);
  }

  const fresh = demo.sessions.filter((s) => !present.has(s.sessionId));
  const byFinalize = [...fresh].sort((a, b) => a.finalizeAt.getTime() - b.finalizeAt.getTime());
  progress("sessions", 0, byFinalize.length);
  for (const [i, s] of byFinalize.entries()) {
    await api.finalizeSession(s.sessionId, s.finalize);
    progress("sessions", i + 1, byFinalize.length);
  }

  const engagement = { stored: 0, duplicates: 0 };
  progress("engagement", 0, demo.engagement.length);
  const deviceOf = demoDeviceOf(demo.familyUsers);
  for (const [i, body] of demo.engagement.entries()) {
    const device_id = deviceOf.get(body.user_external_id);
    const { status } = await api.ingestSessionSummary(device_id ? { ...body, device_id } : body);
    if (status === "ok") engagement.stored++;
    else engagement.duplicates++;
    progress("engagement", i + 1, demo.engagement.length);
  }

  return {
    demo,
    companies,
    sessions: { created: fresh.length, present: present.size },
    events,
    engagement,
  };
}

/**
 * Returns the demo fleet as the API can write it. The service stamps heartbeats with its own
 * receive time, so the back-dated day of beats the direct demo writes cannot be sent: each device
 * beats now instead (demo-box-5 twice, with two boot times: one reboot), demo-box-1 uploads its
 * log snapshot, and with an admin credential demo-box-1 completes an UPLOAD_LOGS command and
 * demo-box-3 has a RESTART_SERVICE pending. Nothing is written when the fleet is already there.
 */
async function writeFleet(
  api: TelemetryClient,
  config: Config,
  now: Date,
  progress: NonNullable<DemoOptions["progress"]>,
): Promise<DemoFleet> {
  progress("fleet", 0, 1);
  const known = config.dashboardGrants.some((g) => g.user === "*")
    ? (await api.fleetStatus()).devices.some((d) => d.deviceId === DEMO_DEVICES[0])
    : false;
  if (known) {
    progress("fleet", 1, 1);
    return { devices: DEMO_DEVICES.length, heartbeats: 0, written: false };
  }
  const beats = DEMO_DEVICES.flatMap((_, i) =>
    i === 4
      ? [heartbeatOf(i, new Date(now.getTime() - 4 * 3_600_000), now), heartbeatOf(i, now, now)]
      : [heartbeatOf(i, now, now)]
  );
  for (const beat of beats) await api.postHeartbeat(beat);
  const box = DEMO_DEVICES[0];
  if (config.adminKey !== "" || config.adminToken !== "") {
    await api.queueCommand(box, "UPLOAD_LOGS");
    const command = await api.pollCommand(box);
    await api.uploadLogs(box, DEMO_LOG);
    if (command) await api.reportCommand(command.id, { status: "COMPLETED" }, box);
    await api.queueCommand(DEMO_DEVICES[2], "RESTART_SERVICE");
  } else {
    await api.uploadLogs(box, DEMO_LOG);
  }
  progress("fleet", 1, 1);
  return { devices: DEMO_DEVICES.length, heartbeats: beats.length, written: true };
}
