/** `GET /metrics` and the middleware counting every request into the process's metrics. */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Config } from "../config.ts";
import type { Sql } from "../db/client.ts";
import { badCredentials } from "../core/errors.ts";
import { DEVICE_STATUSES, HEALTHY_LATENCY_MS, staleBefore } from "../core/devices.ts";
import { commandCounts } from "../db/commands.ts";
import { deviceStatusCounts } from "../db/fleet_gauges.ts";
import { bearerToken, tokenMatches } from "./auth.ts";
import type { AppEnv } from "./context.ts";
import { detail } from "./errors.ts";
import type { Metrics } from "./metrics.ts";

/**
 * Returns middleware counting every request under its route template (never the raw path: a
 * request no route matched is `unmatched`).
 */
export function measureRequests(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const template = routePath(c, -1);
      const route = !template || template.endsWith("*") ? "unmatched" : template;
      metrics.request(c.req.method, route, c.res.status, (performance.now() - started) / 1000);
    }
  };
}

/**
 * Returns the fleet gauges computed at scrape: devices by status at `now` and commands by
 * status (two aggregate queries); empty when the database does not answer.
 */
export async function fleetGaugeLines(sql: Sql, now: Date): Promise<string[]> {
  try {
    const [devices, commands] = await Promise.all([
      deviceStatusCounts(sql, staleBefore(now), HEALTHY_LATENCY_MS),
      commandCounts(sql),
    ]);
    const label = (status: string) => `{status="${status}"}`;
    return [
      "# HELP etl_devices Devices by status at scrape (dead: no heartbeat for 20 minutes).",
      "# TYPE etl_devices gauge",
      ...DEVICE_STATUSES.map((s) => `etl_devices${label(s)} ${devices[s]}`),
      "# HELP etl_device_commands Remote commands by status at scrape.",
      "# TYPE etl_device_commands gauge",
      ...Object.entries(commands).map(([s, n]) => `etl_device_commands${label(s)} ${n}`),
    ];
  } catch {
    return [];
  }
}

/**
 * Returns the GET /metrics handler: with METRICS_TOKEN set it needs that bearer token (compared
 * in constant time, 401 otherwise); without it production answers 404 (off) and other
 * environments answer openly.
 */
export function metricsEndpoint(
  config: Config,
  metrics: Metrics,
  sql: Sql,
  now: () => Date = () => new Date(),
): MiddlewareHandler<AppEnv> {
  return async (c) => {
    if (config.metricsToken) {
      const token = bearerToken(c.req.header("authorization"));
      if (!tokenMatches(token, [config.metricsToken])) {
        throw badCredentials("Invalid metrics token");
      }
    } else if (!config.policy.metricsOpen) {
      return detail(c, 404, "Not Found");
    }
    const fleet = await fleetGaugeLines(sql, now());
    const text = metrics.render(sql) + (fleet.length > 0 ? fleet.join("\n") + "\n" : "");
    return c.body(text, 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
      "Cache-Control": "no-store",
    });
  };
}
