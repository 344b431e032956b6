/**
 * Examples of the device fleet contract, consistent with each other: the contract test sends
 * every request example (in its flow, at 2025-10-22T18:00:00Z) and compares the answers.
 */

/** The device every example is about. */
export const EXAMPLE_DEVICE = "dev-0001";
const AT = "2025-10-22T18:00:00.000Z";
/** A command queued before the flow's own (so the poll picks it up): a fixed id. */
export const EXAMPLE_COMMAND_ID = "0b9c1a52-3f4e-4d6a-9b7c-2e1f0a9d8c71";

export const heartbeat = {
  device_id: EXAMPLE_DEVICE,
  agent_version: "2.4.1",
  connectivity: "wifi",
  network: { interface: "wlan0", ip: "192.168.1.23", signal_rssi: -58, latency_ms: 42 },
  agent_status: "ok",
  last_session_at: "2025-10-22T14:45:00Z",
  timestamp: "2025-10-22T19:59:58+02:00",
  boot_time: "2025-10-20T08:00:00Z",
};

export const fleet = {
  devices: [{
    deviceId: EXAMPLE_DEVICE,
    status: "healthy",
    lastSeen: AT,
    connectivity: "wifi",
    agentVersion: "2.4.1",
    signalRssi: -58,
    latencyMs: 42,
    lastSessionAt: "2025-10-22T14:45:00.000Z",
    bootTime: "2025-10-20T08:00:00.000Z",
  }],
  asOf: AT,
  staleThresholdMinutes: 20,
  next: null,
};

/** A cursor past every real position (2099-01-01): the page starts at the newest device. */
export const FLEET_CURSOR_EXAMPLE = btoa(JSON.stringify(["2099-01-01 00:00:00+00", "~"]))
  .replace(/=+$/, "");

export const uptime = {
  devices: [{
    device_id: EXAMPLE_DEVICE,
    uptime_pct_7d: 0.05,
    reboots_7d: 0,
    total_hours_tracked: 1,
  }],
  as_of: AT,
  next: null,
};

export const deviceUsers = {
  device_id: EXAMPLE_DEVICE,
  users: [{
    user_external_id: "demo-user",
    last_session_at: "2025-10-22T14:30:00.000Z",
    session_count: 1,
  }],
};

export const queuedCommand = {
  id: "5d7e4c1b-8a2f-4e3d-9c6b-1a0f2e3d4c5b",
  device_id: EXAMPLE_DEVICE,
  command_type: "REBOOT",
  status: "PENDING",
  created_at: AT,
};

export const pendingCommand = {
  command: {
    id: EXAMPLE_COMMAND_ID,
    command_type: "UPLOAD_LOGS",
    payload: null,
    created_at: "2025-10-22T17:55:00.000Z",
  },
};

export const deviceCommands = {
  device_id: EXAMPLE_DEVICE,
  commands: [
    {
      id: queuedCommand.id,
      device_id: EXAMPLE_DEVICE,
      command_type: "REBOOT",
      status: "PENDING",
      payload: null,
      error: null,
      created_at: AT,
      picked_up_at: null,
      finished_at: null,
    },
    {
      id: EXAMPLE_COMMAND_ID,
      device_id: EXAMPLE_DEVICE,
      command_type: "UPLOAD_LOGS",
      status: "COMPLETED",
      payload: null,
      error: null,
      created_at: "2025-10-22T17:55:00.000Z",
      picked_up_at: AT,
      finished_at: AT,
    },
  ],
};

export const logUpload = {
  device_id: EXAMPLE_DEVICE,
  content: "2025-10-22T17:59:01Z agent[412]: heartbeat ok\n",
};

export const logSnapshot = {
  snapshot: {
    id: 1,
    device_id: EXAMPLE_DEVICE,
    log_content: logUpload.content,
    created_at: AT,
  },
};

export const deviceErasure = {
  device_id: EXAMPLE_DEVICE,
  deleted: {
    state: 1,
    heartbeats: 1,
    hourly_summaries: 0,
    commands: 2,
    log_snapshots: 1,
    session_links: 1,
    recordings: 0,
  },
};
