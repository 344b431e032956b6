/**
 * Examples of the contract, taken from real payloads: the legacy system's sample session
 * (tests/fixtures/sample_events.jsonl) and the answers the service gives to it. The contract test
 * (tests/openapi/contract_test.ts) sends every request example and compares every answer.
 */

const common = {
  player_id: "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
  session_id: "sess-001-2024-01-15",
  task_version: "earth_v1",
};

/** The legacy system's sample session: sequence 1 right first time, 2 on the second try, 3 on the third. */
export const sampleSession = [
  {
    ...common,
    sequence_index: 1,
    sequence_length: 4,
    attempt_index: 1,
    presented: [1, 2, 3, 4],
    input: [1, 2, 3, 4],
    is_correct: true,
    duration_ms: 4523,
    ts_utc: "2024-01-15T14:30:00Z",
    remediation_stage: "none",
    volts_count: null,
  },
  {
    ...common,
    sequence_index: 2,
    sequence_length: 5,
    attempt_index: 1,
    presented: [5, 2, 8, 1, 3],
    input: [5, 2, 1, 8, 3],
    is_correct: false,
    duration_ms: 6200,
    ts_utc: "2024-01-15T14:31:15Z",
    remediation_stage: "none",
    volts_count: null,
  },
  {
    ...common,
    sequence_index: 2,
    sequence_length: 5,
    attempt_index: 2,
    presented: [5, 2, 8, 1, 3],
    input: [5, 2, 8, 1, 3],
    is_correct: true,
    duration_ms: 5100,
    ts_utc: "2024-01-15T14:32:30Z",
    remediation_stage: "volts",
    volts_count: 1,
  },
  {
    ...common,
    sequence_index: 3,
    sequence_length: 6,
    attempt_index: 1,
    presented: [7, 4, 9, 2, 6, 1],
    input: [7, 4, 2, 9, 6, 1],
    is_correct: false,
    duration_ms: 8500,
    ts_utc: "2024-01-15T14:34:00Z",
    remediation_stage: "none",
    volts_count: null,
  },
  {
    ...common,
    sequence_index: 3,
    sequence_length: 6,
    attempt_index: 2,
    presented: [7, 4, 9, 2, 6, 1],
    input: [7, 4, 9, 2, 1, 6],
    is_correct: false,
    duration_ms: 7200,
    ts_utc: "2024-01-15T14:35:30Z",
    remediation_stage: "volts",
    volts_count: 2,
  },
  {
    ...common,
    sequence_index: 3,
    sequence_length: 6,
    attempt_index: 3,
    presented: [7, 4, 9, 2, 6, 1],
    input: [7, 4, 9, 2, 6, 1],
    is_correct: true,
    duration_ms: 6800,
    ts_utc: "2024-01-15T14:37:00Z",
    remediation_stage: "space",
    volts_count: 3,
  },
];

/** The first attempt of the sample session. */
export const sampleEvent = sampleSession[0];

/** GET /players/{player_id}/sessions for the sample player after four sessions. */
export const playerSessions = [
  {
    id: 1,
    player_id: common.player_id,
    session_id: "sess-001-2024-01-15",
    task_version: "earth_v1",
    fta_level: 0.3333333333333333,
    fta_strict: false,
    repetition_burden: 2,
    earth_score_bucket: 5,
    created_ts_utc: "2024-01-15T14:40:00.000Z",
    company_id: null,
    stress_score: null,
    played_at: "2024-01-15T14:30:00.000Z",
    n_attempts: 6,
  },
  {
    id: 2,
    player_id: common.player_id,
    session_id: "sess-002-2024-01-16",
    task_version: "earth_v1",
    fta_level: 0.6666666666666666,
    fta_strict: false,
    repetition_burden: 1.3333333333333333,
    earth_score_bucket: 5,
    created_ts_utc: "2024-01-16T15:10:00.000Z",
    company_id: null,
    stress_score: null,
    played_at: "2024-01-16T15:00:00.000Z",
    n_attempts: 4,
  },
  {
    id: 3,
    player_id: common.player_id,
    session_id: "sess-003-2024-01-17",
    task_version: "earth_v1",
    fta_level: 0.6666666666666666,
    fta_strict: false,
    repetition_burden: 1.3333333333333333,
    earth_score_bucket: 5,
    created_ts_utc: "2024-01-17T15:10:00.000Z",
    company_id: null,
    stress_score: null,
    played_at: "2024-01-17T15:00:00.000Z",
    n_attempts: 4,
  },
  {
    id: 4,
    player_id: common.player_id,
    session_id: "sess-004-2024-01-18",
    task_version: "earth_v1",
    fta_level: 1,
    fta_strict: true,
    repetition_burden: 1,
    earth_score_bucket: 10,
    created_ts_utc: "2024-01-18T15:10:00.000Z",
    company_id: null,
    stress_score: null,
    played_at: "2024-01-18T15:00:00.000Z",
    n_attempts: 3,
  },
];

/** The first summary: the sample session finalized (fta 1/3, burden 2, bucket 5). */
export const sessionSummary = playerSessions[0];

/** GET /model/state/{player_id} after those four sessions. */
export const modelState = {
  player_id: common.player_id,
  model_name: "earth",
  trained_ts_utc: "2024-01-18T15:10:00.000Z",
  n_samples: 4,
  coefficients: [0.09999999999999998, -0.19999999999999998],
  intercept: 1.0333333333333332,
  mae: 0.11111111111111116,
  status: "trained",
  predicted_next: 0.9333333333333333,
  predicted_next_fta: 0.9333333333333333,
};

/** A water_v1 client's finalize body: the task and the player's stress score. */
export const finalizeWater = { task_version: "water_v1", stress_score: 75 };

/** POST /admin/seed_company for Acme Corp (the legacy system's reference salts). */
export const seededCompany = {
  company_id: "c_a7e357256323",
  company_name: "Acme Corp",
  dashboard_token: "6ce99e1e54ed18055b582ae8",
};

/** GET /dashboard/summary for Acme Corp: five players, two weeks of sessions. */
export const companySummary = {
  company_id: "c_a7e357256323",
  n_players: 5,
  n_sessions: 10,
  avg_brain_performance_score: 0.7000000000000001,
  avg_repetition_burden: 1.3666666666666667,
  avg_earth_score_bucket: 6,
  n_water_sessions: 0,
  avg_stress_score: null,
  n_players_interval: null,
  n_sessions_interval: null,
  avg_brain_performance_score_interval: null,
  avg_repetition_burden_interval: null,
  avg_earth_score_bucket_interval: null,
  n_water_sessions_interval: null,
  avg_stress_score_interval: null,
  privacy: "exact",
  released_through: null,
};

/** GET /dashboard/timeseries?bucket=week for Acme Corp. */
export const companyTimeseries = {
  company_id: "c_a7e357256323",
  bucket_type: "week",
  buckets: [
    {
      bucket_start: "2024-01-15",
      bucket_end: "2024-01-21",
      n_sessions: 5,
      avg_brain_performance_score: 0.6,
      avg_repetition_burden: 1.5333333333333334,
      n_water_sessions: 0,
      avg_stress_score: null,
      n_sessions_interval: null,
      avg_brain_performance_score_interval: null,
      avg_repetition_burden_interval: null,
      n_water_sessions_interval: null,
      avg_stress_score_interval: null,
    },
    {
      bucket_start: "2024-01-22",
      bucket_end: "2024-01-28",
      n_sessions: 5,
      avg_brain_performance_score: 0.7999999999999999,
      avg_repetition_burden: 1.1999999999999997,
      n_water_sessions: 0,
      avg_stress_score: null,
      n_sessions_interval: null,
      avg_brain_performance_score_interval: null,
      avg_repetition_burden_interval: null,
      n_water_sessions_interval: null,
      avg_stress_score_interval: null,
    },
  ],
  suppressed_buckets: 0,
  privacy: "exact",
  next_release_at: null,
};

/** DELETE /admin/players/{player_id} for the sample player after its four sessions. */
export const erasure = {
  player_id: common.player_id,
  deleted: {
    raw_events: 17,
    sessions: 4,
    models: 1,
    engagement_sessions: 4,
    recordings: 0,
    device_links: 0,
  },
};

/** GET /admin/players/{player_id}/export for the engagement demo user (device sessions only). */
export const playerExport = {
  player_id: "demo-user",
  exported_at: "2025-10-22T18:00:00.000Z",
  sessions: [],
  events: [],
  models: [],
  engagement_sessions: [
    {
      source: "device",
      session_id: "demo-session-1018",
      started_at: "2025-10-18T16:00:00.000Z",
      duration_seconds: 720,
      sentiment_hundredths: 55,
      device_id: null,
      status: null,
      created_at: "2025-10-18T16:12:00.000Z",
    },
    {
      source: "device",
      session_id: "demo-session-1021",
      started_at: "2025-10-21T17:30:00.000Z",
      duration_seconds: 600,
      sentiment_hundredths: 60,
      device_id: null,
      status: null,
      created_at: "2025-10-21T17:40:00.000Z",
    },
    {
      source: "device",
      session_id: "demo-session-001",
      started_at: "2025-10-22T14:30:00.000Z",
      duration_seconds: 900,
      sentiment_hundredths: 66,
      device_id: "dev-0001",
      status: "success",
      created_at: "2025-10-22T14:45:00.000Z",
    },
  ],
  recordings: [],
  device_links: [{
    device_id: "dev-0001",
    session_count: 1,
    first_session_at: "2025-10-22T14:30:00.000Z",
    last_session_at: "2025-10-22T14:30:00.000Z",
  }],
};

/** GET /dashboard/forecast for Acme Corp after a third earth week and three water sessions each. */
export const companyForecast = {
  earth: {
    predicted_next_brain_performance: 0.9333333333333332,
    n_models: 5,
    predicted_next_brain_performance_interval: null,
  },
  water: {
    predicted_next_stress_score: 60,
    n_models: 5,
    predicted_next_stress_score_interval: null,
  },
};

const SESSION = "5f0e8d6c-1b2a-4c3d-9e8f-7a6b5c4d3e2f";
const TURN_KEY = `recordings/companion-7f3a/2026/12/02/${SESSION}/03_user.flac`;

/** The `metadata` part of a session_audio upload (turn 3 of the family member). */
export const recordingMetadata = {
  session_id: SESSION,
  device_id: "companion-7f3a",
  turn_number: 3,
  role: "user",
  recorded_at: "2026-12-02T09:15:00+01:00",
  duration_ms: 2500,
  recording_id: "0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b",
  participant_id: "kid-ana",
  activity_id: "story-time",
  transcript: "Can we read the dragon story again?",
};

/** The answer to that upload. */
export const sessionAudioUpload = {
  success: true,
  url: "/admin/recordings/0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b/audio",
  manifest_url: `/admin/sessions/${SESSION}/recordings`,
  recording_id: "0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b",
  object_key: TURN_KEY,
  duplicate: false,
  duration_warning: null,
};

/** The older endpoint's metadata: the assistant's answer of turn 3, as Opus. */
export const legacyAudioMetadata = {
  session_id: SESSION,
  device_id: "companion-7f3a",
  turn_number: 3,
  role: "assistant",
  recorded_at: "2026-12-02T09:15:30+01:00",
  duration_ms: 1500,
  recording_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
  participant_id: "kid-ana",
  codec: "opus",
  transcript: "Of course! Once upon a time, a small dragon…",
};

/** The answer to that upload (no manifest_url on the older endpoint). */
export const legacyAudioUpload = {
  success: true,
  url: "/admin/recordings/7c9e6679-7425-40de-944b-e07fc1f90ae7/audio",
  recording_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
  object_key: "recordings/companion-7f3a/2026/12/02/7c9e6679-7425-40de-944b-e07fc1f90ae7.ogg",
  duplicate: false,
  duration_warning: null,
};

/** GET /admin/sessions/{session_id}/recordings after both uploads. */
export const recordingManifest = {
  session_id: SESSION,
  device_id: "companion-7f3a",
  participant_id: "kid-ana",
  started_at: "2026-12-02T08:15:00.000Z",
  turn_count: 1,
  total_duration_ms: 4000,
  turns: [{
    turn: 3,
    activity_id: "story-time",
    user: {
      audio_filepath: TURN_KEY,
      duration_ms: 2500,
      text: "Can we read the dragon story again?",
      recording_id: "0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b",
      audio_url: "/admin/recordings/0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b/audio",
    },
    assistant: {
      audio_filepath: legacyAudioUpload.object_key,
      duration_ms: 1500,
      text: "Of course! Once upon a time, a small dragon…",
      recording_id: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
      audio_url: legacyAudioUpload.url,
    },
  }],
};

/** GET /admin/participants/{participant_id}/recordings after both uploads. */
export const participantIndex = {
  participant_id: "kid-ana",
  session_count: 1,
  total_duration_ms: 4000,
  sessions: [{
    session_id: SESSION,
    device_id: "companion-7f3a",
    started_at: "2026-12-02T08:15:00.000Z",
    manifest_path: `/admin/sessions/${SESSION}/recordings`,
    turn_count: 1,
    total_duration_ms: 4000,
  }],
};

/** One recording of an export. */
export const exportedRecording = {
  recording_id: "0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b",
  session_id: SESSION,
  turn_number: 3,
  role: "user",
  device_id: "companion-7f3a",
  activity_id: "story-time",
  recorded_at: "2026-12-02T08:15:00.000Z",
  duration_ms: 2500,
  codec: "flac",
  size_bytes: 81234,
  sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
  object_key: TURN_KEY,
  transcript: "Can we read the dragon story again?",
  download_path: "/admin/recordings/0b7f1c2e-4a5d-4e6f-8a9b-1c2d3e4f5a6b/audio",
};
